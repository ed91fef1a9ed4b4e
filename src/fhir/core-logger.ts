// Moved to the kernel (the store logs through it); callers above the store may keep importing it from here.
export * from '../kernel/core-logger';
