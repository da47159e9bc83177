import Foundation
import InspectorProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("The per-user socket folder", .timeLimit(.minutes(1)))
struct SocketDirectoryTests {
    @Test("the folder is $XDG_RUNTIME_DIR/pooltui when that names a folder, else /tmp/pooltui-<uid>")
    func location() {
        #expect(SocketDirectory.forCurrentUser(environment: ["XDG_RUNTIME_DIR": "/tmp"]).path == "/tmp/pooltui")
        #expect(SocketDirectory.forCurrentUser(environment: [:]).path == "/tmp/pooltui-\(geteuid())")
        #expect(SocketDirectory.forCurrentUser(environment: ["XDG_RUNTIME_DIR": "relative"]).path == "/tmp/pooltui-\(geteuid())")
        #expect(SocketDirectory.forCurrentUser(environment: ["XDG_RUNTIME_DIR": "/no/such/folder"]).path == "/tmp/pooltui-\(geteuid())")
        #expect(SocketDirectory(path: "/run/x/").socketPath(app: "billing", pid: 42) == "/run/x/billing.42.sock")
    }

    @Test("app names are short and safe in a file name", arguments: ["billing", "e2e", "a.b_c-9", String(repeating: "n", count: 48)])
    func goodNames(_ name: String) throws {
        try SocketDirectory.validate(appName: name)
    }

    @Test("other names are refused with a reason", arguments: ["", ".hidden", "a/b", "sp ace", "ünï", String(repeating: "n", count: 49), "new\nline"])
    func badNames(_ name: String) {
        #expect(throws: DirectoryError.self) { try SocketDirectory.validate(appName: name) }
    }

    @Test("a new folder is made private; socket files are listed by name and pid; other files are ignored")
    func listing() throws {
        let path = "/tmp/pd-" + String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = SocketDirectory(path: path)
        try directory.prepare()
        var info = stat()
        lstat(path, &info)
        #expect(info.st_mode & 0o777 == 0o700 && info.st_uid == geteuid())
        for file in ["billing.12.sock", "my.app.7.sock", "notes.txt", "broken.sock", "x.y.sock"] {
            #expect(FileManager.default.createFile(atPath: "\(path)/\(file)", contents: nil))
        }
        #expect(directory.entries().map { "\($0.name)/\($0.pid)" } == ["billing/12", "my.app/7"])
        #expect(SocketDirectory.probe("\(path)/billing.12.sock") != .live, "a plain file is not a listening socket")
        #expect(SocketDirectory.probe("\(path)/absent.1.sock") == .missing)
    }
}
