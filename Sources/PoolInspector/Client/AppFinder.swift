import InspectorProtocol

#if canImport(Glibc)
import Glibc
#endif

/// An app that can be attached to: a live socket in the user's folder, with what its
/// hello said.
public struct AttachableApp: Sendable, Hashable {
    /// The app's name: the one its hello gives, else the one its socket's file name gives.
    public var name: String
    /// The pid its socket's file name gives.
    public var pid: Int32
    /// The path of its socket.
    public var path: String
    /// The app's hello (`nil` if it did not answer one).
    public var hello: ServerHello?
    /// Why it could not be asked, if it could not.
    public var problem: String?
}

/// Finds the apps a user can attach to: `pooltui ls`, and the target of
/// `pooltui attach [NAME | PID | PATH]`.
public enum AppFinder {
    /// The live apps in `directory` (stale sockets, whose app is gone, are removed), each
    /// asked for its hello.
    public static func list(in directory: SocketDirectory, timeout: Duration = .seconds(2)) async -> [AttachableApp] {
        directory.removeStale()
        var apps: [AttachableApp] = []
        for entry in directory.entries() {
            var app = AttachableApp(name: entry.name, pid: entry.pid, path: entry.path)
            switch SocketDirectory.probe(entry.path) {
            case .live:
                do {
                    let client = try await InspectorClient.connect(path: entry.path, client: "pooltui ls", timeout: timeout)
                    app.hello = client.hello
                    app.name = client.hello.app
                    client.close()
                } catch {
                    app.problem = error.message
                }
            case .refused: app.problem = "nothing listens (the app is starting, or hung)"
            case .missing: continue
            case .permissionDenied: app.problem = "not allowed (another user's socket)"
            case .failed(let code): app.problem = SocketDirectory.errorText(code)
            }
            apps.append(app)
        }
        return apps
    }

    /// Where `pooltui attach TARGET` connects: a socket `PATH` (with a `/`), the app with
    /// that `PID`, or the one app with that `NAME`; with no target, the only app there is.
    ///
    /// - Throws: a ``InspectorClient/ConnectionError`` saying what was found instead
    ///   (none, several — listing them —, or no such name).
    public static func resolve(_ target: String?, in directory: SocketDirectory) throws(InspectorClient.ConnectionError) -> SocketDirectory.Entry {
        if let target, target.contains("/") {
            let file = target.split(separator: "/").last.map(String.init) ?? target
            let parts = file.split(separator: ".")
            let pid = parts.count >= 3 ? Int32(parts[parts.count - 2]) ?? 0 : 0
            return SocketDirectory.Entry(name: parts.first.map(String.init) ?? file, pid: pid, path: target)
        }
        directory.removeStale()
        let live = directory.entries()
        func listing(_ entries: [SocketDirectory.Entry]) -> String {
            entries.map { "\($0.name) (pid \($0.pid))" }.joined(separator: ", ")
        }
        guard let target else {
            switch live.count {
            case 0: throw .init("no app to attach to: none of uid \(geteuid()) serves an inspector in \(directory.path) (start one with `pooltui demo --serve`, or embed PoolInspector)")
            case 1: return live[0]
            default: throw .init("several apps can be attached: \(listing(live)); say which (pooltui attach NAME or PID)")
            }
        }
        if let pid = Int32(target), let found = live.first(where: { $0.pid == pid }) { return found }
        let named = live.filter { $0.name == target }
        switch named.count {
        case 1: return named[0]
        case 0:
            let known = live.isEmpty ? "none is running" : "running: \(listing(live))"
            throw .init("no app named \(target) in \(directory.path) (\(known))")
        default:
            throw .init("several apps are named \(target): \(listing(named)); attach by pid")
        }
    }

    /// The socket of an app named `name` now, if exactly one runs: what a dashboard
    /// waits for after its app exited.
    public static func current(named name: String, in directory: SocketDirectory) -> SocketDirectory.Entry? {
        let named = directory.entries().filter { $0.name == name && SocketDirectory.probe($0.path) == .live }
        return named.count == 1 ? named[0] : named.max { $0.pid < $1.pid }
    }
}
