// Moved to src/kernel/sql.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../kernel/sql';
