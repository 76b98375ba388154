// Types for pages.mjs, for the TypeScript examples (examples/nestjs).
import type { AuthContext, SessionInfo } from 'latchkey';

export function escapeHTML(value: unknown): string;
export const PAGE_HEADERS: Record<string, string>;
export const ASSETS: Record<string, { type: string; body: string }>;
export function loginPage(options?: { error?: string; notice?: string; username?: string }): string;
export function accountPage(options: { auth: AuthContext; session: SessionInfo | null }): string;
export function devicesPage(options: { auth: AuthContext; sessions: SessionInfo[]; notice?: string }): string;
export function appPage(options: { auth: AuthContext | null }): string;
export function messagePage(options: { title: string; message: string; auth?: AuthContext | null }): string;
