package srp

// rusageThread is RUSAGE_THREAD: the calling thread's CPU time (Linux only).
const rusageThread = 1
