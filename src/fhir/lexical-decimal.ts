// Moved to src/kernel/lexical-decimal.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../kernel/lexical-decimal';
