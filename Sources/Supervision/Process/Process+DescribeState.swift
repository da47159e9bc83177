extension Process {
    /// Asks the process `pid` to describe its state: OTP's `:sys.get_state`, through
    /// ``StateDescribing``.
    ///
    /// The request waits in the mailbox behind the messages already there, like OTP's
    /// system messages, and is answered between two messages; a busy or hung process
    /// therefore answers late or never, and `timeout` bounds the wait.
    ///
    /// - Returns: the description, or `nil` when the process runs no ``GenServer`` that
    ///   adopts ``StateDescribing`` (a spawned process, a supervisor, a server that
    ///   keeps its state to itself).
    /// - Throws: ``CallError/noProcess(target:)`` if `pid` is not alive,
    ///   ``CallError/timeout(_:)`` if no answer came in time, ``CallError/exited(_:)``
    ///   if it exited first, ``CallError/cancelled`` if the calling task is cancelled.
    /// - Complexity: O(1) for the caller; one allocation.
    nonisolated(nonsending) public static func describeState(
        of pid: PID, timeout: Timeout = .milliseconds(500)
    ) async throws(CallError) -> String? {
        guard let target = pid.core else { throw .noProcess(target: pid.description) }
        let caller = ProcessContext.current
        if caller === target { throw .callingSelf }
        // A spawned process has no state the runtime can reach: answered here, so that
        // a tool asking again and again never fills a mailbox its code may not read.
        if !target.usesActivations {
            guard target.acceptsMessages else { throw .noProcess(target: pid.description) }
            return nil
        }
        let slot = ReplySlot<String?>(caller: caller?.pid, timeout: timeout)
        caller?.setAwaiting(slot)
        if !target.deliver(.describe(slot)) {
            slot.fail(.noProcess(target: pid.description))
        }
        let result: Result<String?, CallError>
        if let ready = slot.take() {
            result = ready
        } else {
            if case .after(let delay) = timeout { target.schedule(slot, after: delay) }
            if caller != nil {
                result = await slot.wait()
            } else {
                result = await withTaskCancellationHandler {
                    await slot.wait()
                } onCancel: {
                    slot.fail(.cancelled)
                }
            }
        }
        return try result.get()
    }
}

extension Process {
    /// When `pid` was created, on its runtime's clock, or `nil` once it has exited.
    ///
    /// - Complexity: O(1); reads the process table, takes no process lock.
    public static func startTime(of pid: PID) -> Timestamp? {
        pid.core?.startedAt
    }
}
