import Testing

/// Every suite of real `kefu` processes nests here, so they run one at a time: they share two
/// cores, and the rate measurements must not compete with each other.
@Suite("End to end (real processes)", .serialized)
enum EndToEnd {}
