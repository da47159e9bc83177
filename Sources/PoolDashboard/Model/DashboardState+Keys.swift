import Supervision

extension DashboardState {
    /// Applies a key press and returns what the runtime side must do.
    ///
    /// - Parameter pageSize: the number of table rows on screen, for `PgUp`/`PgDn` and
    ///   to keep the selection visible.
    public mutating func handle(_ key: Key, pageSize: Int) -> [Command] {
        status = nil
        if case .interrupt = key { return quit() }
        if case .resize = key {
            keepSelectionVisible(pageSize: pageSize)
            return []
        }
        switch mode {
        case .normal:
            return handleNormal(key, pageSize: pageSize)
        case .filter:
            editInput(key) { state, text in
                state.filter = text
                state.mode = .normal
            } cancel: { state in
                state.filter = ""
                state.mode = .normal
            } live: { state, text in
                state.filter = text
            }
            index.select(filter: filter, order: sort)
            keepSelectionVisible(pageSize: pageSize)
            return []
        case .newWorker:
            var commands: [Command] = []
            editInput(key) { state, text in
                state.mode = .normal
                guard !text.isEmpty else { return }
                commands.append(.lookupOrStart(id: text))
                state.selection = text
            } cancel: { state in
                state.mode = .normal
            }
            return commands
        case .meta:
            var commands: [Command] = []
            editInput(key) { state, text in
                state.mode = .normal
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    state.status = "meta must be key=value"
                    return
                }
                let metaKey = String(text[..<equals])
                let value = String(text[text.index(after: equals)...])
                commands.append(.putMeta(key: metaKey, value: value))
            } cancel: { state in
                state.mode = .normal
            }
            return commands
        case .confirmKill(let id, _):
            mode = .normal
            if case .character(let character) = key, character == "y" || character == "Y" {
                return [.kill(id: id)]
            }
            status = "kill cancelled"
            return []
        case .help, .detail, .tree:
            switch key {
            case .escape, .enter, .character("q"), .character("?"), .character("t"), .function(1):
                mode = .normal
            case .function(10):
                return quit()
            default:
                break
            }
            return []
        }
    }

    private mutating func handleNormal(_ key: Key, pageSize: Int) -> [Command] {
        switch key {
        case .up, .character("k"): move(by: -1, pageSize: pageSize)
        case .down, .character("j"): move(by: 1, pageSize: pageSize)
        case .pageUp: move(by: -max(1, pageSize - 1), pageSize: pageSize)
        case .pageDown: move(by: max(1, pageSize - 1), pageSize: pageSize)
        case .home, .character("g"): moveTo(position: 0, pageSize: pageSize)
        case .end, .character("G"): moveTo(position: tableCount - 1, pageSize: pageSize)
        case .character("/"):
            mode = .filter
            input = filter
        case .escape:
            if !filter.isEmpty {
                filter = ""
                index.select(filter: "", order: sort)
                keepSelectionVisible(pageSize: pageSize)
            }
        case .character("o"):
            sort = sort.next
            index.select(filter: filter, order: sort)
            keepSelectionVisible(pageSize: pageSize)
            status = "sorted by \(sort.rawValue)"
        case .character("s"):
            if let row = selectedLiveWorker("stop") { return [.stop(id: row.id)] }
        case .character("K"), .function(9):
            if let row = selectedLiveWorker("kill") { mode = .confirmKill(id: row.id, pid: row.pid) }
        case .character("c"):
            if let row = selectedLiveWorker("crash") { return [.crash(id: row.id)] }
        case .character("n"):
            mode = .newWorker
            input = ""
        case .character("m"):
            mode = .meta
            input = ""
        case .enter:
            if let selection { mode = .detail(id: selection) }
        case .character("t"):
            mode = .tree
        case .character(" "):
            paused.toggle()
        case .character("+"), .character("="):
            refreshInterval = max(.milliseconds(100), refreshInterval / 2)
            status = "refresh every \(Self.seconds(refreshInterval))"
        case .character("-"):
            refreshInterval = min(.seconds(10), refreshInterval * 2)
            status = "refresh every \(Self.seconds(refreshInterval))"
        case .character("?"), .function(1), .character("h"):
            mode = .help
        case .character("q"), .function(10):
            return quit()
        default:
            break
        }
        return []
    }

    private mutating func quit() -> [Command] {
        quitting = true
        return [.quit]
    }

    /// The selected worker if it is alive; otherwise explains why there is nothing to do.
    private mutating func selectedLiveWorker(_ verb: String) -> WorkerRow? {
        guard let selection, let row = index.row(selection) else {
            status = "no worker selected"
            return nil
        }
        guard !row.isTombstone else {
            status = "\(TerminalText.escaped(row.id)) is already dead; nothing to \(verb)"
            return nil
        }
        return row
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

    // MARK: - Selection

    private mutating func move(by delta: Int, pageSize: Int) {
        guard tableCount > 0 else { return }
        let current = selectionPosition ?? (delta > 0 ? -1 : tableCount)
        moveTo(position: current + delta, pageSize: pageSize)
    }

    private mutating func moveTo(position: Int, pageSize: Int) {
        guard tableCount > 0 else {
            selection = nil
            return
        }
        let clamped = min(max(0, position), tableCount - 1)
        selection = index.viewIDs(order: sort, in: clamped..<(clamped + 1)).first
        lastSelectionPosition = clamped
        keepSelectionVisible(pageSize: pageSize)
    }

    /// After the table changed (a refresh): keeps the selection on its worker and on
    /// screen.
    public mutating func refreshSelection(pageSize: Int) {
        if selection == nil, tableCount > 0 {
            selection = index.viewIDs(order: sort, in: 0..<1).first
        }
        keepSelectionVisible(pageSize: pageSize)
    }

    /// Keeps the selection on its id; scrolls so that it stays on screen. If the
    /// selected worker left the table (its tombstone expired, or the filter hides it),
    /// the row now at its last position is selected instead — shown, never acted on
    /// without another key.
    mutating func keepSelectionVisible(pageSize: Int) {
        let count = tableCount
        guard count > 0 else {
            scrollOffset = 0
            return
        }
        let position: Int
        if let found = selectionPosition {
            position = found
        } else {
            position = min(max(0, lastSelectionPosition), count - 1)
            selection = index.viewIDs(order: sort, in: position..<(position + 1)).first
        }
        lastSelectionPosition = position
        let page = max(1, pageSize)
        if position < scrollOffset { scrollOffset = position }
        if position >= scrollOffset + page { scrollOffset = position - page + 1 }
        scrollOffset = min(max(0, scrollOffset), max(0, count - page))
    }
}
