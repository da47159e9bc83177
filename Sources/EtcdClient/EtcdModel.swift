/// One key in etcd, as a range or a watch reports it.
public struct EtcdKeyValue: Sendable, Hashable {
    /// The key (UTF-8).
    public var key: String
    /// The value's bytes.
    public var value: [UInt8]
    /// The revision that created the key: for a claimed name, its fencing token, strictly
    /// larger for every new holder.
    public var createRevision: Int64
    /// The revision of the key's last change.
    public var modRevision: Int64
    /// The lease the key is attached to, 0 for none.
    public var lease: Int64

    /// A key value as given.
    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, lease: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.lease = lease
    }
}

/// A lease: keys attached to it are deleted when it expires or is revoked.
public struct EtcdLease: Sendable, Hashable {
    /// The lease's id.
    public var id: Int64
    /// Its time to live in seconds, as etcd granted (or last renewed) it.
    public var ttl: Int64

    /// A lease as given.
    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }
}

/// The outcome of a claim: a put that succeeds only if the key does not exist.
public enum EtcdClaim: Sendable, Hashable {
    /// The key is ours, created at `revision` (its create revision: the fencing token).
    case claimed(revision: Int64)
    /// The key exists: this is its holder.
    case held(EtcdKeyValue)
}

/// A change seen by a watch.
public struct EtcdWatchEvent: Sendable, Hashable {
    /// What happened to the key.
    public enum Kind: Sendable, Hashable {
        /// Created or changed.
        case put
        /// Deleted (by a delete, or by its lease's expiry or revocation).
        case delete
    }
    /// What happened.
    public var kind: Kind
    /// The key after a put; after a delete, the key and the revision that deleted it.
    public var keyValue: EtcdKeyValue

    /// An event as given (a range's keys read as puts, say).
    public init(kind: Kind, keyValue: EtcdKeyValue) {
        self.kind = kind
        self.keyValue = keyValue
    }
}
