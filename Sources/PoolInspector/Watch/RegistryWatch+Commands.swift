import InspectorProtocol
import Supervision
import WorkerRegistry

/// The error a worker crashed from the inspector exits with.
struct CrashedByInspector: Error, CustomStringConvertible {
    var client: String
    var description: String { "crashed from the inspector by \(client)" }
}

extension RegistryWatch {
    /// The process that holds a row's id now, checked against the pid the person saw.
    ///
    /// - Throws: ``ProtocolError/Code/unknownWorker`` if the row has gone,
    ///   ``ProtocolError/Code/notRunning`` if nothing holds the id, and
    ///   ``ProtocolError/Code/pidMismatch`` if another process does: a command is never
    ///   carried out on a process the person did not see.
    func holder(of target: WorkerTarget, verb: String) throws(ProtocolError) -> (text: String, key: Key, pid: PID) {
        guard let (identity, row) = find(ref: target.ref) else { throw Self.unknown(target.ref, in: name) }
        let holder: PID?
        if let pid = identity.pid {
            holder = registry.lookup(identity.key).contains { $0.pid == pid } ? pid : nil
        } else {
            holder = registry.whereis(identity.key)
        }
        guard let holder else {
            throw ProtocolError(.notRunning, "\(row.text) is not running (\(target.pid) has exited): nothing to \(verb)")
        }
        guard holder.description == target.pid else {
            throw ProtocolError(.pidMismatch, "\(row.text) is now held by \(holder), not by \(target.pid) as shown: it was restarted meanwhile. Nothing was done; look again and confirm.")
        }
        return (row.text, identity.key, holder)
    }

    /// A worker whose restarts keep failing, as the person saw it: the pool's restarting
    /// child with the row's id, when the pid shown is no live holder of the id (its last
    /// pid, or one of its failed attempts — the row may already show a later one).
    /// Ending it ends its restarts, and what an attempt under way started (``endRestarts``).
    /// O(restarting children).
    func restartingChild(of target: WorkerTarget) -> (text: String, last: PID, supervisor: DynamicSupervisor)? {
        guard let supervisor = pool?.supervisor(), let (identity, row) = find(ref: target.ref) else { return nil }
        guard !registry.lookup(identity.key).contains(where: { $0.pid.description == target.pid }) else { return nil }
        let childID = "\(identity.key)"
        guard let child = supervisor.restartingChildren().first(where: { $0.id == childID }), let last = child.lastPID else {
            return nil
        }
        return (row.text, last, supervisor)
    }

    /// Stop or kill of a worker whose restarts keep failing: there is no process to signal,
    /// so its retries end (the supervisor's `terminateChild` by its last pid, OTP's
    /// `terminate_child` of a restarting child). An attempt under way is waited for, and
    /// what it started is stopped too.
    func endRestarts(_ kind: WireEvent.Kind, _ verb: String, text: String, last: PID, supervisor: DynamicSupervisor,
                     by client: String) async throws(ProtocolError) -> CommandReply {
        note(kind, "\(verb.uppercased()) \(text) \(last) (restarting: its restarts keep failing) — by \(client)")
        do {
            try await supervisor.terminateChild(last)
        } catch {
            throw ProtocolError(.notRunning, "\(text) \(last) is no longer restarting under \(name) (it was ended meanwhile)")
        }
        let outcome = "\(verb) \(text) returned: its restarts ended, no longer a child of \(name)"
        note(kind, outcome)
        return CommandReply(outcome: outcome, pid: last.description)
    }

    func command(_ action: CommandRequest.Action, by client: String) async throws(ProtocolError) -> CommandReply {
        guard poolDescription.allows(action.kind) else {
            throw ProtocolError(poolDescription.commands.isEmpty ? .readOnly : .notAllowed,
                                "\(action.kind.rawValue) is not allowed on \(name): \(poolDescription.readOnlyReason ?? "the app does not allow it")")
        }
        switch action {
        case .kill(let target):
            if let (text, last, supervisor) = restartingChild(of: target) {
                return try await endRestarts(.kill, "kill", text: text, last: last, supervisor: supervisor, by: client)
            }
            let (text, key, pid) = try holder(of: target, verb: "kill")
            note(.kill, "KILL \(text) \(pid) (brutal) — by \(client)")
            Process.exit(pid, .kill)
            // Kill is synchronous: the entry is gone now. The id may already be back,
            // under the pid of its restart.
            let after = registry.keys == .unique ? registry.whereis(key) : (registry.lookup(key).contains { $0.pid == pid } ? pid : nil)
            let where_ = after == pid ? "still registered?!" : after.map { "gone from the registry (id now held by \($0))" } ?? "gone from the registry"
            let outcome = "kill returned: \(pid) dead, \(text) \(where_)"
            note(.kill, outcome)
            return CommandReply(outcome: outcome, pid: pid.description)
        case .crash(let target):
            let (text, _, pid) = try holder(of: target, verb: "crash")
            note(.crash, "CRASH \(text) \(pid) (an exit signal with an error: a crash to its supervisor) — by \(client)")
            Process.exit(pid, .error(CrashedByInspector(client: client)))
            return CommandReply(outcome: "\(text) \(pid) was told to crash", pid: pid.description)
        case .stop(let target):
            if let (text, last, supervisor) = restartingChild(of: target) {
                return try await endRestarts(.stop, "stop", text: text, last: last, supervisor: supervisor, by: client)
            }
            let (text, _, pid) = try holder(of: target, verb: "stop")
            guard let supervisor = pool?.supervisor() else {
                throw ProtocolError(.notRunning, "the supervisor of \(name) is not running: nothing stops \(text)")
            }
            note(.stop, "STOP \(text) \(pid) (graceful: its shutdown policy) — by \(client)")
            do {
                try await supervisor.terminateChild(pid)
            } catch {
                throw ProtocolError(.notRunning, "\(text) \(pid) is no longer a child of \(name) (it exited meanwhile)")
            }
            let outcome = "stop \(text) returned: \(pid) dead and unregistered"
            note(.stop, outcome)
            return CommandReply(outcome: outcome, pid: pid.description)
        case .lookupOrStart(let id):
            guard let start = pool?.start else {
                throw ProtocolError(.notAllowed, "\(name) cannot start workers from the inspector")
            }
            guard !id.isEmpty else { throw ProtocolError(.invalid, "an empty id") }
            do {
                let (placement, pid) = try await start(id)
                let outcome = "lookupOrStart \(id) → \(placement)"
                note(.info, outcome + " — by \(client)")
                return CommandReply(outcome: outcome, pid: pid?.description)
            } catch {
                note(.error, "lookupOrStart \(id) failed: \(error.message) — by \(client)")
                throw error
            }
        case .putMeta(let key, let value):
            guard !key.isEmpty else { throw ProtocolError(.invalid, "an empty meta key") }
            registry.putMeta(key, value)
            note(.info, "META \(key)=\(value) — by \(client)")
            return CommandReply(outcome: "meta \(key)=\(value) set on \(registry.name)", pid: nil)
        }
    }

    func describeState(_ query: StateQuery) async throws(ProtocolError) -> StateReply {
        guard let (_, row) = find(ref: query.ref) else { throw Self.unknown(query.ref, in: name) }
        guard !row.isDead else { throw ProtocolError(.notRunning, "\(row.text) \(row.pid) has exited") }
        guard row.pid.description == query.pid else {
            throw ProtocolError(.pidMismatch, "\(row.text) now runs as \(row.pid), not \(query.pid)")
        }
        let milliseconds = Int64(min(max(query.timeoutMilliseconds, 1), 5_000))
        let behaviour = Process.info(row.pid)?.behaviour ?? pool?.worker ?? "process"
        let started = ContinuousClock.now
        do {
            let text = try await Process.describeState(of: row.pid, timeout: .milliseconds(milliseconds))
            let elapsed = ContinuousClock.now - started
            return StateReply(state: text, behaviour: behaviour,
                              micros: Int(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
        } catch where error.code == .timeout {
            throw ProtocolError(.timeout, "\(row.text) \(row.pid) did not answer within \(milliseconds) ms (busy or hung); it runs on")
        } catch {
            throw ProtocolError(.notRunning, "\(row.text) \(row.pid) exited before it answered (\(error))")
        }
    }
}
