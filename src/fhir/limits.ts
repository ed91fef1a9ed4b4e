// Moved to the kernel (the store needs it); callers above the store may keep importing it from here.
export * from '../kernel/limits';
