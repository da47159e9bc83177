import InspectorProtocol

extension DashboardState {
    /// Applies a key press; returns the requests it makes.
    package mutating func handle(_ key: Key, at time: Duration) -> [RequestEnvelope] {
        status = nil
        switch key {
        case .interrupt:
            quitting = true
            return []
        case .resize:
            keepSelectionVisible()
            return rowsRequest()
        default:
            break
        }
        switch mode {
        case .normal:
            return handleNormal(key, at: time)
        case .filter:
            var changed = false
            editInput(key) { state, text in
                state.filter = text
                state.mode = .normal
                changed = true
            } cancel: { state in
                changed = !state.filter.isEmpty
                state.filter = ""
                state.mode = .normal
            } live: { state, text in
                state.filter = text
                changed = true
            }
            return changed ? viewChanged() : []
        case .newWorker:
            var requests: [RequestEnvelope] = []
            editInput(key) { state, text in
                state.mode = .normal
                guard !text.isEmpty, let pool = state.pool else { return }
                requests.append(state.make(.command(CommandRequest(pool: pool.name, .lookupOrStart(id: text))),
                                           .command(.lookupOrStart, id: text)))
            } cancel: { state in
                state.mode = .normal
            }
            return requests
        case .meta:
            var requests: [RequestEnvelope] = []
            editInput(key) { state, text in
                state.mode = .normal
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex, let pool = state.pool else {
                    state.status = "meta must be key=value"
                    return
                }
                let metaKey = String(text[..<equals])
                let value = String(text[text.index(after: equals)...])
                requests.append(state.make(.command(CommandRequest(pool: pool.name, .putMeta(key: metaKey, value: value))),
                                           .command(.putMeta, id: metaKey)))
            } cancel: { state in
                state.mode = .normal
            }
            return requests
        case .confirmKill(let target, let id):
            mode = .normal
            guard case .character(let character) = key, character == "y" || character == "Y" else {
                status = "kill cancelled"
                return []
            }
            guard let pool, connection == .connected else {
                status = "disconnected: nothing was killed"
                return []
            }
            return [make(.command(CommandRequest(pool: pool.name, .kill(target))), .command(.kill, id: id))]
        case .help, .detail, .tree:
            switch key {
            case .escape, .enter, .character("q"), .character("?"), .character("t"), .function(1):
                mode = .normal
                detail = nil
                described = nil
            case .character("r"):
                if case .detail(let ref) = mode { return refresh() + askState(ref) }
                return refresh()
            case .function(10):
                quitting = true
            default:
                break
            }
            return []
        }
    }

    private mutating func handleNormal(_ key: Key, at time: Duration) -> [RequestEnvelope] {
        switch key {
        case .up, .character("k"): return move(by: -1)
        case .down, .character("j"): return move(by: 1)
        case .pageUp: return move(by: -max(1, pageSize - 1))
        case .pageDown: return move(by: max(1, pageSize - 1))
        case .home, .character("g"): return moveTo(0)
        case .end, .character("G"): return moveTo(tableCount - 1)
        case .character("/"):
            mode = .filter
            input = filter
        case .escape:
            if !filter.isEmpty {
                filter = ""
                return viewChanged()
            }
        case .character("o"):
            sort = sort.next
            status = "sorted by \(sort.rawValue)"
            return viewChanged()
        case .tab: return switchPool(by: 1)
        case .backTab: return switchPool(by: -1)
        case .character(let digit) where digit.isASCII && digit.isNumber && digit != "0":
            let index = Int(String(digit))! - 1
            guard let pools = app?.pools, index < pools.count else {
                status = "no pool \(digit): this app has \(app?.pools.count ?? 0)"
                return []
            }
            return switchPool(by: index - poolIndex)
        case .character("s"):
            guard allowed(.stop, "stop"), let (target, id) = selectedTarget("stop", orDead: true), let pool else { return [] }
            return [make(.command(CommandRequest(pool: pool.name, .stop(target))), .command(.stop, id: id))]
        case .character("K"), .function(9):
            guard allowed(.kill, "kill"), let (target, id) = selectedTarget("kill", orDead: true) else { return [] }
            mode = .confirmKill(target, id: id)
        case .character("c"):
            guard allowed(.crash, "crash"), let (target, id) = selectedTarget("crash"), let pool else { return [] }
            return [make(.command(CommandRequest(pool: pool.name, .crash(target))), .command(.crash, id: id))]
        case .character("n"):
            guard allowed(.lookupOrStart, "lookupOrStart") else { return [] }
            mode = .newWorker
            input = ""
        case .character("m"):
            guard allowed(.putMeta, "meta") else { return [] }
            mode = .meta
            input = ""
        case .enter:
            guard let ref = selection?.ref, let pool else {
                status = "no worker selected"
                return []
            }
            mode = .detail(ref: ref)
            detail = nil
            var requests = [make(.worker(WorkerQuery(pool: pool.name, ref: ref)), .worker)]
            if selection?.isDead == false { requests += askState(ref) } else { described = nil }
            return requests
        case .character("t"):
            mode = .tree
            return connection == .connected ? [make(.tree, .tree)] : []
        case .character(" "):
            paused.toggle()
            status = paused ? "paused: Space resumes" : "resumed"
            if !paused { nextRefresh = time }
        case .character("r"):
            return connection == .connected ? refresh() : []
        case .character("+"), .character("="):
            refreshInterval = max(.milliseconds(100), refreshInterval / 2)
            nextRefresh = min(nextRefresh, time + refreshInterval)
            status = "refresh every \(Format.seconds(refreshInterval))"
        case .character("-"):
            refreshInterval = min(.seconds(10), refreshInterval * 2)
            status = "refresh every \(Format.seconds(refreshInterval))"
        case .character("?"), .function(1), .character("h"):
            mode = .help
        case .character("q"), .function(10):
            quitting = true
        default:
            break
        }
        return []
    }

    /// Asks the selected worker (still as shown) to describe its state.
    private mutating func askState(_ ref: UInt64) -> [RequestEnvelope] {
        guard let pool, let selection, selection.ref == ref, connection == .connected else { return [] }
        described = .asking(ref: ref)
        let milliseconds = Int(stateTimeout.components.seconds * 1_000 + stateTimeout.components.attoseconds / 1_000_000_000_000_000)
        return [make(.describeState(StateQuery(pool: pool.name, ref: ref, pid: selection.pid, timeoutMilliseconds: milliseconds)), .state)]
    }

    /// Whether the app allows `kind` here; otherwise says why in the key bar.
    private mutating func allowed(_ kind: CommandKind, _ verb: String) -> Bool {
        guard let pool else {
            status = "not connected to an app yet"
            return false
        }
        guard connection == .connected else {
            status = "disconnected: \(verb) needs the app; waiting for it to come back"
            return false
        }
        guard pool.allows(kind) else {
            status = "read-only: \(verb) is not allowed on \(pool.name) — \(pool.readOnlyReason ?? "the app does not allow it")"
            return false
        }
        return true
    }

    /// The selected worker as shown, if it is alive; otherwise says why not. With
    /// `orDead`, a dead row too: stop and kill of a worker whose restarts keep failing end
    /// its retries, which only the app knows of (it answers "not running" otherwise).
    private mutating func selectedTarget(_ verb: String, orDead: Bool = false) -> (WorkerTarget, String)? {
        guard let selection, let ref = selection.ref else {
            status = "no worker selected"
            return nil
        }
        guard orDead || !selection.isDead else {
            status = "\(selection.id) is already dead; nothing to \(verb)"
            return nil
        }
        return (WorkerTarget(ref: ref, pid: selection.pid), selection.id)
    }

    /// The sort or filter changed: the same worker stays selected where the app now puts it.
    private mutating func viewChanged() -> [RequestEnvelope] {
        selectionVersion += 1
        return rowsRequest()
    }

    private mutating func switchPool(by delta: Int) -> [RequestEnvelope] {
        guard let pools = app?.pools, !pools.isEmpty else {
            status = "not connected to an app yet"
            return []
        }
        let next = ((poolIndex + delta) % pools.count + pools.count) % pools.count
        guard next != poolIndex else {
            if pools.count == 1 { status = "this app shows one pool: \(pools[0].name)" }
            return []
        }
        poolIndex = next
        filter = ""
        selection = nil
        scrollOffset = 0
        window = nil
        selectionVersion += 1
        status = "pool \(pools[next].name) (\(next + 1) of \(pools.count))"
        return rowsRequest()
    }

    // MARK: - Moving

    private mutating func move(by delta: Int) -> [RequestEnvelope] {
        guard tableCount > 0 else { return [] }
        let current = selection?.position ?? (delta > 0 ? -1 : tableCount)
        return moveTo(current + delta)
    }

    private mutating func moveTo(_ position: Int) -> [RequestEnvelope] {
        guard tableCount > 0 else {
            selection = nil
            return []
        }
        let clamped = min(max(0, position), tableCount - 1)
        if let row = row(at: clamped) {
            selection = Selection(row, position: clamped)
        } else {
            selection = Selection(pendingAt: clamped)
        }
        selectionVersion += 1
        keepSelectionVisible()
        // Within the window the move was local; the window follows.
        return rowsRequest()
    }

    /// Text editing shared by the prompts.
    private mutating func editInput(
        _ key: Key,
        commit: (inout DashboardState, String) -> Void,
        cancel: (inout DashboardState) -> Void,
        live: ((inout DashboardState, String) -> Void)? = nil
    ) {
        switch key {
        case .enter:
            let text = input
            input = ""
            commit(&self, text)
        case .escape:
            input = ""
            cancel(&self)
        case .backspace:
            if !input.isEmpty { input.removeLast() }
            live?(&self, input)
        case .character(let character):
            // Control characters never enter the input (they would reach the screen).
            guard !character.unicodeScalars.contains(where: TerminalText.needsEscape) else { return }
            input.append(character)
            live?(&self, input)
        default:
            break
        }
    }
}
