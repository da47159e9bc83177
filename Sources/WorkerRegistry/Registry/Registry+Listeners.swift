/// A listener added to a running registry, to remove it again.
public struct RegistryListenerID: Hashable, Sendable {
    let rawValue: UInt64
}

extension Registry {
    /// Adds a listener: from now on it hears of every registration and removal, as the
    /// listeners given at creation do (OTP fixes its listeners at start; tools that
    /// attach later, such as an inspector, need this).
    ///
    /// A registration that runs concurrently with this call may or may not be reported;
    /// read the entries (``select(_:)``) after adding the listener to miss none.
    ///
    /// - Complexity: O(listeners). Every later registration and removal calls every
    ///   listener.
    @discardableResult
    public func addListener(_ listener: RegistryListener<Key, Value>) -> RegistryListenerID {
        RegistryListenerID(rawValue: shared.addListener(listener))
    }

    /// Removes a listener added with ``addListener(_:)``. Removing one twice does
    /// nothing. Once this returns, no event that starts afterwards reaches it.
    public func removeListener(_ id: RegistryListenerID) {
        shared.removeListener(id.rawValue)
    }
}
