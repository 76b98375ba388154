// Code blocks taken from the shipped Markdown, so tests run what a reader copies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The body of the first fenced block of `lang` under the heading that starts with `heading` (up to the next `## `),
 * in the Markdown file at `path`.
 */
export function codeBlock(path: string, heading: string, lang: string): string {
  const text = `\n${readFileSync(path, 'utf8')}`;
  const start = text.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`${path} has no heading "${heading}"`);
  const rest = text.slice(start + heading.length + 1);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!match) throw new Error(`${path}, section "${heading}", has no \`\`\`${lang} block`);
  return match[1]!;
}

/** The README's block of `lang` under `heading`, from the repository root `root`. */
export const readmeBlock = (root: string, heading: string, lang: string): string => codeBlock(join(root, 'README.md'), heading, lang);
