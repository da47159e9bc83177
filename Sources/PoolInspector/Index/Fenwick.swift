/// A Fenwick (binary indexed) tree over counts: prefix sums and "which slot holds the
/// k-th item" in O(log n), updates in O(log n).
struct Fenwick: Sendable {
    /// 1-based partial sums.
    private var tree: [Int]
    /// The sum of all counts.
    private(set) var total = 0

    /// A tree over `counts`, in O(n).
    init(_ counts: some Collection<Int>) {
        tree = [0] + counts
        total = counts.reduce(0, +)
        var index = 1
        while index < tree.count {
            let parent = index + (index & -index)
            if parent < tree.count { tree[parent] += tree[index] }
            index += 1
        }
    }

    /// Adds `delta` to slot `index`.
    mutating func add(_ delta: Int, at index: Int) {
        total += delta
        var i = index + 1
        while i < tree.count {
            tree[i] += delta
            i += i & -i
        }
    }

    /// The sum of slots before `index`.
    func prefix(before index: Int) -> Int {
        var sum = 0
        var i = index
        while i > 0 {
            sum += tree[i]
            i -= i & -i
        }
        return sum
    }

    /// The slot holding item `rank` (0-based, `rank < total`), and the item's rank within it.
    func locate(_ rank: Int) -> (slot: Int, offset: Int) {
        var index = 0
        var remaining = rank
        var step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            let next = index + step
            if next < tree.count && tree[next] <= remaining {
                index = next
                remaining -= tree[next]
            }
            step /= 2
        }
        return (index, remaining)
    }
}
