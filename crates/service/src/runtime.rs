//! The async runtime every offboard process runs the engine on (the handler, and the command
//! line's `demo`, `local` and `scan`, which run the same engine in-process).

/// Stack of each runtime worker. A request's future (intake, the inline sign-in cut, the guard
/// rails, the restore and the steps, the Azure SDK's calls under them) is polled on a worker's
/// stack, and unoptimised builds lay such futures out far larger than release builds do: the
/// default 2 MiB overflowed in debug builds (the handler on the Azure backend, then the demo
/// once restore and the PIM and ownership steps joined). Untouched stack pages cost no memory.
pub const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// A multi-threaded runtime with [`WORKER_STACK_BYTES`] stacks and every driver enabled.
pub fn build() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
}
