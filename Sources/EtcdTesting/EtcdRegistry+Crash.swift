import WorkerRegistryEtcd

extension EtcdRegistry {
    /// Ends this node as a crash would (its OS process killed, as etcd sees it): its lease
    /// is no longer renewed, its watch stops and its holders die, but nothing is released
    /// and the lease is not revoked — the other nodes get its names only when the lease
    /// expires, a TTL later. For tests of a node's death inside one OS process: a
    /// `ClusterPool`'s registry is its `meta`.
    ///
    /// The node's supervision tree runs on; stop it afterwards as usual (its stop then
    /// releases nothing either).
    public func crash() {
        abandon()
    }
}
