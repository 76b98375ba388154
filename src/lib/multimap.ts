// Map<K, Set<V>> kept without empty sets: the watch hub's indexes by session id and by user.

/** Adds `value` to the set of `key`, making the set if needed. */
export function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

/** Removes `value` from the set of `key`, and the set once it is empty. */
export function takeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
