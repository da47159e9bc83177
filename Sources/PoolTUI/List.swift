import ArgumentParser
import Foundation
import InspectorProtocol
import PoolInspector

/// `pooltui ls`: the apps this user can attach to.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the apps you can attach to: name, pid, uptime and pools.",
        discussion: "Sockets left by apps that are gone are removed on the way.")

    @Option(help: "The folder to look in (default: $XDG_RUNTIME_DIR/pooltui, else /tmp/pooltui-<uid>).")
    var directory: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    mutating func run() async throws {
        let folder = directory.map(SocketDirectory.init(path:)) ?? SocketDirectory.forCurrentUser()
        let apps = await AppFinder.list(in: folder)
        if json {
            struct Listed: Encodable {
                var name: String
                var pid: Int32
                var socket: String
                var uptimeSeconds: Double?
                var pools: [String]
                var readOnly: Bool?
                var problem: String?
            }
            let listed = apps.map { app in
                Listed(name: app.name, pid: app.pid, socket: app.path,
                       uptimeSeconds: app.hello.map { Double($0.now - $0.startedAt) / 1e9 },
                       pools: app.hello?.pools.map(\.name) ?? [], readOnly: app.hello?.readOnly, problem: app.problem)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Swift.print(String(decoding: try encoder.encode(listed), as: UTF8.self))
            return
        }
        guard !apps.isEmpty else {
            Swift.print("no attachable apps in \(folder.path) (start one with `pooltui demo --serve`, or embed PoolInspector)")
            return
        }
        var rows = [["NAME", "PID", "UPTIME", "POOLS", "MODE", "SOCKET"]]
        for app in apps {
            let uptime = app.hello.map { hello in uptimeText(hello.now - hello.startedAt) } ?? "?"
            let pools = app.hello.map { $0.pools.map { "\($0.name)(\($0.kind.rawValue))" }.joined(separator: " ") } ?? (app.problem ?? "")
            let mode = app.hello.map { $0.readOnly ? "read-only" : "commands" } ?? "—"
            rows.append([app.name, String(app.pid), uptime, pools, mode, app.path])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            Swift.print(row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  "))
        }
    }
}

/// `1h02m`, `4m05s`, `12s` for nanoseconds.
func uptimeText(_ nanoseconds: Int64) -> String {
    let seconds = max(0, nanoseconds / 1_000_000_000)
    if seconds >= 3600 { return "\(seconds / 3600)h\(String(format: "%02d", (seconds / 60) % 60))m" }
    if seconds >= 60 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
    return "\(seconds)s"
}
