@in_process
Feature: Opening a store by its URL
  As a developer whose instances move from one host to several,
  I want to name where leases are kept with one string,
  so that changing the store is a change of configuration, not of code.

  . RULES:
  .   * lockspec.connect(url) opens a coordinator on the store the URL names:
  .     a lock directory's path or file:// URL, memory://NAME (an in-memory
  .     space shared by the coordinators of one process that name it), or a
  .     Redis URL (redis://, rediss://, unix://).
  .   * Coordinators that name one store share its leases; coordinators on
  .     different stores never see each other's.
  .   * A URL or an option that names no store is an invalid argument, raised
  .     before anything is opened or created.

  Scenario Outline: Instances connected to one store share its leases: <form>
    Given instances A and B are connected to "<url>"
    And instance A holds "resource-1"
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And instance B sees "resource-1" held by instance A

    Examples:
      | form                    | url                        |
      | a lock directory's path | the lock directory         |
      | a file URL              | file://the lock directory  |
      | an in-memory space      | memory://shared-by-A-and-B |

  Scenario: A coordinator built on a store of one's own takes the store and every setting by name
    Given instance A is a coordinator built on the scenario's store, every argument given by its name
    And instance B shares the store too
    And instance A holds "resource-1"
    When instance B tries to acquire "resource-1"
    Then instance B is refused
    And instance B sees "resource-1" held by instance A

  @processes
  Scenario Outline: By default, a coordinator takes over at once the lease of a holder whose process is gone: <how>
    Given a process that has since exited holds "resource-1" with a TTL of 30 s
    And instance C is <how>
    When instance C tries to acquire "resource-1"
    Then instance C gets the lock on "resource-1"

    Examples:
      | how                                                                    |
      | connected to "the scenario's store"                                    |
      | a coordinator on the scenario's store and clock, with no other setting |

  @frozen_clock
  Scenario Outline: By default, a coordinator takes over an expired lease at the very instant it expires: <how>
    Given instance A uses a store
    And instance A holds "resource-1" with a TTL of 30 s
    And instance C is <how>
    And 30 s have passed
    When instance C tries to acquire "resource-1"
    Then instance C gets the lock on "resource-1"

    Examples:
      | how                                                                    |
      | connected to "the scenario's store"                                    |
      | a coordinator on the scenario's store and clock, with no other setting |

  Scenario: Instances on different in-memory spaces never see each other's leases
    Given instance A is connected to "memory://left"
    And instance B is connected to "memory://right"
    And instance A holds "resource-1"
    When instance B tries to acquire "resource-1"
    Then instance B gets the lock on "resource-1"

  Scenario Outline: A store that cannot be named is refused before anything is opened: <case>
    When an instance connects to "<url>" with <options>
    Then starting it fails with an invalid argument error naming "<argument>" and saying "<words>"
    And the lock directory does not exist

    Examples:
      | case                                     | url                     | options                        | argument         | words                                    |
      | an unknown scheme                        | ftp://host/locks        | no options                     | store URL        | unknown scheme 'ftp'                     |
      | a Consul URL (no store speaks to Consul) | consul://host:8500      | no options                     | store URL        | unknown scheme 'consul'                  |
      | a file URL of another host               | file://elsewhere/locks  | no options                     | store URL        | names a folder on this host              |
      | a URL without its //                     | redis:/localhost:6379/0 | no options                     | store URL        | a URL needs :// after its scheme         |
      | a two-letter scheme without its //       | db:/locks               | no options                     | store URL        | a URL needs :// after its scheme         |
      | a URL with a bracket left open           | redis://[::1/0          | no options                     | store URL        | Invalid IPv6 URL                         |
      | a file URL without a path                | file://                 | no options                     | store URL        | a file:// URL needs a path               |
      | an option the memory store does not take | memory://spec           | the option namespace "app"     | store option     | the memory store does not take namespace |
      | an option the file store does not take   | the lock directory      | the option namespace "app"     | store option     | it takes: shared_group, guard_timeout_ms |
      | a guard timeout that is no duration      | the lock directory      | the option guard_timeout_ms -1 | guard_timeout_ms | must be greater than 0                   |

    @redis
    Examples: Redis URLs and options
      | case                                      | url                                    | options                            | argument            | words                                                  |
      | a namespace that would make a hash tag    | redis://127.0.0.1:1/0                  | the option namespace "a{b}"        | namespace           | must not contain braces                                |
      | a namespace with a closing brace only     | redis://127.0.0.1:1/0                  | the option namespace "a}b"         | namespace           | must not contain braces                                |
      | a namespace in the URL and as an option   | redis://127.0.0.1:1/0?namespace=a      | the option namespace "b"           | store option        | namespace given twice                                  |
      | a timeout that is no duration             | redis://127.0.0.1:1/0                  | the option timeout_ms 0            | timeout_ms          | must be greater than 0                                 |
      | a URL redis-py cannot read                | redis://127.0.0.1:notaport/0           | no options                         | url                 | Port could not be cast                                 |
      | a misspelt parameter in the URL           | redis://127.0.0.1:1/0?namspace=a       | no options                         | url                 | unknown parameter namspace                             |
      | a TLS parameter in a URL without TLS      | redis://127.0.0.1:1/0?ssl_check_hostname=no | no options                    | url                 | ssl_check_hostname applies only to rediss:// (TLS) URLs |
      | a namespace twice in the URL              | redis://h/0?namespace=a&namespace=b    | no options                         | store URL           | namespace given more than once                         |
      | a server clock neither yes nor no         | redis://h/0?server_clock=maybe         | no options                         | store URL           | server_clock: 'maybe' is neither yes                   |
      | a server clock in the URL and as option   | redis://h/0?server_clock=yes           | the option server_clock True       | store option        | server_clock given twice                               |
      | a server clock option that is no boolean  | redis://h/0                            | the option server_clock "no"       | server_clock        | must be True or False                                  |
      | a replica count that is no number         | redis://h/0?replicas=two               | no options                         | store URL           | replicas: 'two' is not a whole number                  |
      | a replica count in other digits           | redis://h/0?replicas=1_0               | no options                         | store URL           | replicas: '1_0' is not a whole number                  |
      | a URL with a fragment                     | redis://h/0?namespace=a#b              | no options                         | store URL           | a Redis URL has no #fragment                           |
      | a socket timeout in the URL               | redis://h/0?socket_timeout=0.1         | no options                         | url                 | unknown parameter socket_timeout                       |
      | a negative replica count                  | redis://h/0                            | the option replicas -1             | replicas            | must not be negative                                   |
      | a wait for replicas 1 ms too long         | redis://h/0?replicas=1&timeout_ms=1499 | the option replicas_timeout_ms 500 | replicas_timeout_ms | must be at least 1 s shorter than timeout_ms (1499 ms) |

  @redis
  Scenario Outline: A password in a URL that is refused never shows in the error: <case>
    When an instance connects to "<url>" with no options
    Then starting it fails with an invalid argument error naming "url" and saying "<shown>"
    And the error it was refused with does not mention "hunter"

    Examples:
      | case                                           | url                                 | shown                       |
      | a slash in the password                        | redis://:hunter/2@127.0.0.1:1/0     | 'redis://127.0.0.1:1/0'     |
      | a question mark and a slash, after a user name | redis://app:hunter?/2@127.0.0.1:1/0 | 'redis://app@127.0.0.1:1/0' |

  @redis
  Scenario: A Redis store built on a client that decodes replies is refused: leases are compared byte for byte
    When an instance is started on a Redis store built on a redis-py client that decodes replies
    Then starting it fails with an invalid argument error naming "client" and saying "must return bytes"

  @redis
  Scenario Outline: A Redis store built on a client of one's own names the server that client talks to: <link>
    When an instance is started on a Redis store built on a redis-py client of its own, of "<address>"
    Then its store is named after that address

    Examples:
      | link                    | address                   |
      | its unix socket         | $SOCKET                   |
      | TCP, database 3         | redis://127.0.0.1:$PORT/3 |
      | TCP on IPv6, database 0 | redis://[::1]:$PORT/0     |
