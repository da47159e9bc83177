import ScalableLocks

/// What a watch delivers.
public enum EtcdWatchUpdate: Sendable, Hashable {
    /// The watch is in place on a member, from `revision` on: every later change follows.
    case watching(revision: Int64)
    /// Changes, in revision order, up to and including `revision`.
    case events([EtcdWatchEvent], revision: Int64)
    /// The connection to the member was lost; the watch goes on from the next revision on
    /// whichever member answers (no change is missed or repeated).
    case interrupted(EtcdError)
    /// etcd compacted its history past the revision the watch needed: changes were lost.
    /// The watch has ended; read the keys again (``EtcdClient/range(prefix:)``) and watch
    /// from there.
    case compacted(revision: Int64)
}

extension EtcdClient {
    /// Watches every key that starts with `prefix`, from `revision` (the revision after a
    /// ``range(prefix:)``'s, to miss nothing), until the stream's consumer stops.
    ///
    /// Across a lost connection it reconnects — failing over between members — and
    /// resumes from the revision after the last one delivered. A member that keeps the
    /// connection open but stops serving (cut off from the majority, paused) is found by
    /// a read that needs a quorum, every ``watchProbeInterval``: the watch then moves on.
    public func watch(prefix: String, from revision: Int64) -> AsyncStream<EtcdWatchUpdate> {
        let (updates, continuation) = AsyncStream<EtcdWatchUpdate>.makeStream()
        let task = Task { [self] in
            var next = revision
            var member = 0
            while !Task.isCancelled {
                let outcome = await watchOnce(prefix: prefix, from: next, on: member % endpoints.count, continuation) { next = $0 }
                switch outcome {
                case .compacted(let compacted):
                    continuation.yield(.compacted(revision: compacted))
                    continuation.finish()
                    return
                case .lost(let error):
                    if Task.isCancelled { break }
                    continuation.yield(.interrupted(error))
                    member += 1
                    try? await Task.sleep(for: .milliseconds(member % endpoints.count == 0 ? 200 : 10))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return updates
    }

    private enum WatchEnd { case compacted(Int64), lost(EtcdError) }

    /// One watch on member `index`, until it is lost or compacted, or the member stops
    /// serving.
    private func watchOnce(
        prefix: String, from revision: Int64, on index: Int,
        _ output: AsyncStream<EtcdWatchUpdate>.Continuation, advance: (Int64) -> Void
    ) async -> WatchEnd {
        let endpoint = endpoints[index]
        let connection: HTTPConnection
        do {
            connection = try await HTTPConnection.connect(to: endpoint, timeout: requestTimeout)
        } catch {
            return .lost(error)
        }
        let request = WatchCreateRequest(createRequest: .init(
            key: GatewayJSON.base64(prefix), rangeEnd: GatewayJSON.base64(GatewayJSON.prefixEnd(prefix)),
            startRevision: Int64String(revision)))
        let chunks = connection.stream("/v3/watch", GatewayJSON.encode(request))
        // A silent member keeps the stream open: a probe that it still serves closes the
        // stream when it does not.
        let silent = Lock<EtcdError?>(nil)
        let prober = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: watchProbeInterval)
                guard !Task.isCancelled else { return }
                if let failure = await probe(index, key: prefix, timeout: requestTimeout) {
                    silent.withLock { $0 = EtcdError(.unavailable, "\(endpoint) stopped serving the watch: \(failure.message)") }
                    connection.close()
                    return
                }
            }
        }
        defer {
            prober.cancel()
            connection.close()
        }
        var pending: [UInt8] = []
        return await withTaskCancellationHandler {
            for await chunk in chunks {
                pending.append(contentsOf: chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    guard !line.isEmpty else { continue }
                    switch WatchLine.read(line, endpoint: "\(endpoint)") {
                    case .nothing: continue
                    case .watching: output.yield(.watching(revision: revision))
                    case .events(let events, let last):
                        advance(last + 1)  // below Int64.max: WatchLine refuses that revision
                        output.yield(.events(events, revision: last))
                    case .compacted(let compacted): return .compacted(compacted)
                    case .lost(let error): return .lost(error)
                    }
                }
            }
            return .lost(silent.withLock { $0 } ?? EtcdError(.unavailable, "\(endpoint) ended the watch"))
        } onCancel: {
            connection.close()
        }
    }
}
