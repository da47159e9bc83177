#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-user folder where apps put their inspector sockets and where `pooltui ls`
/// and `pooltui attach` look for them: `$XDG_RUNTIME_DIR/pooltui/`, else
/// `/tmp/pooltui-<uid>/`. The folder is the user's alone (mode 0700); each socket is
/// `NAME.PID.sock` (mode 0600).
public struct SocketDirectory: Sendable, Hashable, CustomStringConvertible {
    /// The folder.
    public let path: String

    /// Creates a directory for the folder at `path`, without a trailing `/` (unless it is `/`).
    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// The folder of the user running this process: `$XDG_RUNTIME_DIR/pooltui` when that
    /// variable names an absolute folder, else `/tmp/pooltui-<uid>`.
    public static func forCurrentUser(environment: [String: String]? = nil) -> SocketDirectory {
        let runtimeDirectory = environment.map { $0["XDG_RUNTIME_DIR"] } ?? getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }
        if let runtimeDirectory, runtimeDirectory.hasPrefix("/"), isDirectory(runtimeDirectory) {
            return SocketDirectory(path: runtimeDirectory + "/pooltui")
        }
        return SocketDirectory(path: "/tmp/pooltui-\(geteuid())")
    }

    /// The folder's path.
    public var description: String { path }

    /// The longest socket path the kernel accepts (`sun_path` less its terminator).
    public static let maxSocketPathBytes = 107

    /// The socket of app `name`, process `pid`.
    public func socketPath(app name: String, pid: Int32) -> String {
        "\(path)/\(name).\(pid).sock"
    }

    /// Checks an app name: 1 to 48 of `A-Z a-z 0-9 . _ -`, not starting with a dot.
    public static func validate(appName name: String) throws(DirectoryError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard !name.isEmpty, name.utf8.count <= 48, allowed, !name.hasPrefix(".") else {
            throw DirectoryError("the app name \"\(name)\" is not usable: use 1 to 48 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }

    // MARK: - Server side

    /// Makes sure the folder exists, is a real folder (not a link) owned by this user,
    /// and is closed to everyone else (mode 0700, fixed if it was wider).
    ///
    /// - Throws: ``DirectoryError`` when it cannot be created, or belongs to someone
    ///   else (a folder another user made in `/tmp` is never used).
    public func prepare() throws(DirectoryError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw DirectoryError("cannot create the inspector folder \(path): \(Self.errorText(errno))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw DirectoryError("cannot read the inspector folder \(path): \(Self.errorText(errno))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw DirectoryError("\(path) is not a folder (a link or a file is in its place); remove it")
        }
        guard info.st_uid == geteuid() else {
            throw DirectoryError("the inspector folder \(path) belongs to uid \(info.st_uid), not to you (uid \(geteuid())): refusing to put a socket there")
        }
        if info.st_mode & 0o777 != 0o700, chmod(path, 0o700) != 0 {
            throw DirectoryError("cannot make \(path) private (mode 0700): \(Self.errorText(errno))")
        }
    }

    // MARK: - Listing

    /// A socket file in the folder.
    public struct Entry: Sendable, Hashable {
        /// The app name its file name gives.
        public var name: String
        /// The pid its file name gives.
        public var pid: Int32
        /// The socket file's full path.
        public var path: String

        /// Creates an entry with the given fields.
        public init(name: String, pid: Int32, path: String) {
            self.name = name
            self.pid = pid
            self.path = path
        }
    }

    /// The sockets in the folder, by name then pid. Files of other shapes are ignored.
    public func entries() -> [Entry] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var found: [Entry] = []
        while let entry = readdir(directory) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard file.hasSuffix(".sock") else { continue }
            let parts = file.dropLast(5).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2, let pid = Int32(parts[parts.count - 1]) else { continue }
            let name = parts.dropLast().joined(separator: ".")
            found.append(Entry(name: name, pid: pid, path: "\(path)/\(file)"))
        }
        return found.sorted { ($0.name, $0.pid) < ($1.name, $1.pid) }
    }

    /// What connecting to a socket file shows.
    public enum Probe: Sendable, Hashable {
        /// Something listens.
        case live
        /// Nothing listens (`ECONNREFUSED`): the app that made it is gone.
        case refused
        /// No such file.
        case missing
        /// Not allowed (another user's folder or socket).
        case permissionDenied
        /// Another error, as `errno`.
        case failed(Int32)
    }

    /// Tries to connect to the socket at `path` (and closes at once).
    public static func probe(_ path: String) -> Probe {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return .failed(errno) }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count <= maxSocketPathBytes else { return .failed(ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .live }
        switch errno {
        case ECONNREFUSED: return .refused
        case ENOENT: return .missing
        case EACCES, EPERM: return .permissionDenied
        case let other: return .failed(other)
        }
    }

    /// Whether an OS process `pid` exists (it may belong to another user).
    public static func processExists(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Removes socket files whose app is gone: nothing listens, and the pid their name
    /// gives does not run. Returns the paths removed.
    @discardableResult
    public func removeStale() -> [String] {
        var removed: [String] = []
        for entry in entries() where Self.probe(entry.path) == .refused && !Self.processExists(entry.pid) {
            if unlink(entry.path) == 0 { removed.append(entry.path) }
        }
        return removed
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `strerror` as a Swift string.
    public static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A problem with the inspector folder or a socket path, as a sentence.
public struct DirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and, where it helps, what to do about it.
    public var message: String

    /// Creates an error with this sentence.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
