Feature: Holders renew their leases, and fencing tokens order every acquisition
  As a holder doing long work,
  I want to extend my lease before it expires, and know when I have lost it;
  as a protected resource, I want to reject writes from a holder whose lease
  already passed to someone else.

  . RULES:
  .   * Renewing sets the expiry to now plus the TTL (by default the TTL it
  .     was acquired with) and keeps the lock id, the acquisition time and
  .     the fencing token.
  .   * Only the acquisition recorded in the lease file can be renewed;
  .     renewing a lease that was taken over answers "lost" and changes nothing.
  .   * Every acquisition of a resource gets a higher fencing token than all
  .     before it, however the previous lease ended, even after every
  .     instance restarted, and even after the store lost or garbled its
  .     fencing counters, provided the clock has moved on since the lost
  .     tokens were issued. Tokens follow the clock: one acquired at
  .     millisecond t is at least t * 1000.
  .   * A fencing counter that cannot be read is reported, never taken for 0;
  .     one longer than 40 digits cannot be read (today's tokens have 16).
  .   * A protected resource that remembers the highest token it accepted
  .     rejects a write carrying a lower one.

  Background:
    Given instances A and B share a store

  @frozen_clock
  Scenario: Renewing extends the lease from now and keeps its identity
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 80 ms have passed
    When instance A renews its lock on "resource-1"
    Then the lease on "resource-1" expires 100 ms from now
    And it keeps the lock id, acquisition time and fencing token instance A acquired

  @frozen_clock
  Scenario: Renewing with another TTL makes it the lease's TTL from then on
    Given instance A holds "resource-1" with a TTL of 100 ms
    And instance A has renewed its lock on "resource-1" for 1 s
    And 900 ms have passed
    When instance A renews its lock on "resource-1"
    Then the lease on "resource-1" expires 1 s from now

  @frozen_clock
  Scenario: A renewed lease is not taken over at its original expiry
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 80 ms have passed
    And instance A has renewed its lock on "resource-1"
    And 50 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B is refused

  Scenario: A holder whose lease was taken over learns it lost the lease when renewing
    Given instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    And instance B has acquired "resource-1"
    When instance A renews its lock on "resource-1"
    Then instance A is told its lease was lost
    And "resource-1" is still held by instance B with the lease it acquired

  @in_process
  Scenario: A renewal overtaken by a takeover of the expired lease changes nothing
    Given instance C shares the store too
    And instance A holds "resource-1" with a TTL of 100 ms
    And 150 ms have passed
    When instance A renews its lock on "resource-1", but instance C takes it over right after A has looked
    Then instance A is told its lease was lost
    And "resource-1" is still held by instance C with the lease it acquired

  Scenario Outline: A non-owner cannot renew another instance's lease: <renewer> renews <owner>'s
    Given instance <owner> holds "resource-1" with a TTL of 100 ms
    When instance <renewer> tries to renew instance <owner>'s lock on "resource-1"
    Then instance <renewer> is told its lease was lost
    And "resource-1" is still held by instance <owner> with the lease it acquired

    Examples:
      | owner | renewer |
      | A     | B       |
      | B     | A       |

  @frozen_clock
  Scenario: Tokens read as microseconds of the clock: the first one of a resource is from the next millisecond
    Given the clock reads 2026-01-01 00:00:00.451 UTC
    When instance A tries to acquire "resource-1"
    Then its fencing token is 1767225600452001

  @frozen_clock
  Scenario: With the counters lost, a token still exceeds that of the lease it replaces, even one far ahead of the clock
    Given instance A has acquired and released "resource-1"
    And the stored lease of "resource-1" reads '{"format":1,"resource":"resource-1","lock_id":"l1","owner":"C","acquired_at_ms":0,"expires_at_ms":1,"fencing_token":100000000000000000001,"ttl_ms":1}'
    And the store has lost its fencing counters
    When instance B tries to acquire "resource-1"
    Then its fencing token is 100000000000000000002

  @frozen_clock
  Scenario: A token issued milliseconds after the last one is from the clock's later millisecond
    Given the clock reads 2026-01-01 00:00:00.451 UTC
    And instance A has acquired and released "resource-1"
    And 5 ms have passed
    When instance B tries to acquire "resource-1"
    Then its fencing token is 1767225600456001

  @frozen_clock
  Scenario: Within one millisecond, each acquisition's token is one more than the last
    Given the clock reads 2026-01-01 00:00:00.451 UTC
    And instance A has acquired and released "resource-1"
    When instance B tries to acquire "resource-1"
    Then its fencing token is 1767225600452002

  Scenario Outline: A new holder's fencing token is higher however the previous lease ended: <ending>
    Given instance A holds "resource-1" with a TTL of 100 ms
    And the lease of instance A ended by <ending>
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease

    Examples:
      | ending                                     |
      | release                                    |
      | expiry                                     |
      | expiry and cleanup                         |
      | expiry, cleanup and a restart of every instance |
      | corruption of its stored lease             |
      | release, and 1 ms later the loss of the store's fencing counters |
      | release, and 1 ms later corruption of the store's fencing counters |
      | expiry, and 1 ms later the loss of the store's fencing counters |

  Scenario: A fencing counter that cannot be read is reported with a warning
    Given instance A holds "resource-1" with a TTL of 100 ms
    And the lease of instance A ended by release, and 1 ms later corruption of the store's fencing counters
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And a warning about "was unreadable (b'#garbage!#" was logged

  @memory @redis @frozen_clock
  Scenario: A fencing counter of 40 digits is still a number: the next token is one more
    Given instance A has acquired and released "resource-1"
    And the fencing counter of "resource-1" holds 40 digits
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is 1 followed by 40 zeros

  @memory @redis @frozen_clock
  Scenario Outline: An unreadable fencing counter of up to 40 bytes is shown whole in the warning: <count> bytes
    Given instance A has acquired and released "resource-1"
    And the fencing counter of "resource-1" holds <count> bytes of garbage
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And a warning about "was unreadable (b'<shown>'); tokens continue from the clock" was logged

    Examples:
      | count | shown                                    |
      | 1     | #                                        |
      | 40    | ######################################## |

  @memory @redis @frozen_clock
  Scenario: A fencing counter of 41 digits is unreadable: tokens go on from the clock, with a warning
    Given instance A has acquired and released "resource-1"
    And the fencing counter of "resource-1" holds 41 digits
    And 1 ms have passed
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"
    And its fencing token is higher than that of instance A's lease
    And a warning about "was unreadable (b'9999999999999999999999999999999999999999...')" was logged

  @processes
  Scenario: A holder process paused past its TTL has its late write rejected (Kleppmann's case)
    # SIGSTOP stands for a long GC pause or a stalled VM: the paused process
    # still exists, so its lease is taken over only after the TTL.
    Given a separate process P holds "resource-1" with a TTL of 300 ms
    And process P has been paused with SIGSTOP
    And instance B has waited up to 5 s to acquire "resource-1"
    And instance B has written "from B" to the protected resource with its fencing token
    When process P resumes and writes "from P" to the protected resource with its fencing token
    Then the protected resource rejects the write of process P
    And the protected resource holds "from B"
    And instance B's lease was acquired no earlier than process P's lease expired
