@processes
Feature: An operator sees every lease with `lockspec status`
  As an operator of several instances,
  I want one command that lists the leases in a store and their states,
  so that I can tell at a glance who holds what, and what is stale.

  . RULES:
  .   * One row per lease, sorted by resource: holder, host, pid, fencing token,
  .     acquisition time (UTC), expiry, and state.
  .   * The states: held; expired; holder gone (the holder's process on this
  .     host no longer exists, though the lease has not expired yet);
  .     unreadable; set aside (an unreadable lease file kept for inspection).
  .   * The status judges leases as the instances do: give it their clock
  .     skew margin (--max-clock-skew) and, if they do not check whether
  .     holders are alive, --no-detect-dead-holders.
  .   * Looking creates nothing: status, cleanup --dry-run and a refused
  .     break leave the folder they look at as it was.
  .   * --json prints the same as a JSON document of schema 1.
  .   * A reader that stops early (`| head`) is no error: the command ends
  .     without a word, with status 141, as a shell reports a command that a
  .     closed pipe stopped (128 + SIGPIPE). A shell's pipeline itself
  .     reports the reader's status.
  .   * The store comes from --store URL or --lock-dir, or else LOCKSPEC_STORE
  .     or LOCKSPEC_DIR: exactly one of them, or the command is a usage error
  .     (exit status 64).
  .   In the tables below, * stands for any text (times change from run to run).

  Background:
    Given instances A and B share a store

  Scenario: The status lists a held, an expired, an abandoned and an unreadable lease
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B held "resource-2" until 2 h ago
    And a process that has since exited holds "resource-3" with a TTL of 30 s
    And the stored lease of "resource-4" reads 'INVALID{JSON'
    When the operator runs "lockspec status --store $STORE"
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE       | HOLDER | HOST      | PID | TOKEN       | EXPIRES               |
      | resource-1 | held        | A      | this host | *   | <A's token> | in *                  |
      | resource-2 | expired     | B      | this host | *   | <B's token> | 2.0 h ago             |
      | resource-3 | holder gone | P      | this host | *   | <P's token> | in *                  |
      | resource-4 | unreadable  | -      | -         | -   | -           | unreadable: not JSON* |

  Scenario: The status tells when a lease was acquired, in UTC to the second
    Given the stored lease of "resource-5" reads '{"format":1,"resource":"resource-5","lock_id":"cccccccccccccccccccccccccccccccc","owner":"C","acquired_at_ms":1767225659999,"expires_at_ms":4102444800000,"fencing_token":7,"ttl_ms":2335219140001,"host":"another-host","pid":4242,"process":""}'
    When the operator runs "lockspec status --store $STORE"
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE | HOLDER | HOST         | PID  | TOKEN | ACQUIRED (UTC)      | EXPIRES |
      | resource-5 | held  | C      | another-host | 4242 | 7     | 2026-01-01 00:00:59 | in *    |

  Scenario Outline: The status judges leases as the instances do: <option>
    Given <situation>
    When the operator runs "lockspec status <option> --store $STORE"
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE |
      | resource-1 | held  |

    Examples:
      | option                   | situation                                                                     |
      | --max-clock-skew 10s     | instance B, which still runs, let its lease on "resource-1" expire 200 ms ago |
      | --no-detect-dead-holders | a process that has since exited holds "resource-1" with a TTL of 30 s         |

  Scenario: The status lists what was set aside as unreadable
    Given the stored lease of "resource-4" reads 'INVALID{JSON'
    And instance A has cleaned up expired locks
    When the operator runs "lockspec status --store $STORE"
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE     | HOLDER | EXPIRES                                |
      | resource-4 | set aside | -      | set aside * ago, unreadable: not JSON* |

  @file
  Scenario Outline: A command that only looks creates nothing: <command>
    Given a folder "untouched" next to the lock directory, which lockspec never used
    When the operator runs "<command> --lock-dir $LOCK_DIR/../untouched"
    Then the command exits with status <status>
    And the folder "untouched" next to the lock directory is still empty

    Examples:
      | command                   | status | comment              |
      | lockspec status           | 0      |                      |
      | lockspec status --json    | 0      |                      |
      | lockspec cleanup --dry-run | 0     |                      |
      | lockspec break resource-1 | 64     | refused: no --force  |

  Scenario: A reader that stops early ends the status quietly
    Given instance A holds 300 resources
    When the operator runs "lockspec status --json --store $STORE | head -n 1" in a shell
    Then the command succeeds
    And its error output is empty

  Scenario Outline: A reader gone before anything is written ends the command quietly, with the status of a closed pipe: <command>
    Given instance A holds "resource-1" with a TTL of 30 s
    When the operator runs "<command> --store $STORE" with its output going to a reader that has already gone
    Then the command exits with status 141
    And its error output is empty

    Examples:
      | command                   |
      | lockspec status           |
      | lockspec status --json    |
      | lockspec cleanup --dry-run |

  @file
  Scenario: The status as a JSON document
    Given instance A holds "resource-1" with a TTL of 30 s
    And instance B held "resource-2" until 5 s ago
    When the operator runs "lockspec status --json" with LOCKSPEC_DIR set to the lock directory
    Then the command succeeds
    And its output is a JSON document of schema 1 whose leases are:
      | resource   | state   | holder | fencing_token | file            |
      | resource-1 | held    | A      | <A's token>   | resource-1.lock |
      | resource-2 | expired | B      | <B's token>   | resource-2.lock |

  Scenario: The status as a JSON document gives every field of every entry, null where it does not apply
    Given the stored lease of "resource-5" reads '{"format":1,"resource":"resource-5","lock_id":"cccccccccccccccccccccccccccccccc","owner":"C","acquired_at_ms":1767225659999,"expires_at_ms":4102444800000,"fencing_token":7,"ttl_ms":2335219140001,"host":"another-host","pid":4242,"process":""}'
    And the stored lease of "resource-6" reads 'INVALID{JSON'
    When the operator runs "lockspec status --json --store $STORE"
    Then the command succeeds
    And its output is a JSON document of schema 1 whose leases are:
      | resource   | state      | holder | host         | pid  | fencing_token | lock_id                          | acquired_at_ms | expires_at_ms | ttl_ms        | set_aside_at_ms | problem   |
      | resource-5 | held       | C      | another-host | 4242 | 7             | cccccccccccccccccccccccccccccccc | 1767225659999  | 4102444800000 | 2335219140001 | None            | None      |
      | resource-6 | unreadable | None   | None         | None | None          | None                             | None           | None          | None          | None            | not JSON* |

  @file
  Scenario Outline: The store can be named by its URL: <form>
    Given instance A holds "resource-1" with a TTL of 30 s
    When the operator runs "lockspec status --store <url>"
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE | HOLDER |
      | resource-1 | held  | A      |

    Examples:
      | form              | url              |
      | a path            | $LOCK_DIR        |
      | a file URL        | file://$LOCK_DIR |

  Scenario: An empty store has no leases
    When the operator runs "lockspec status --store $STORE"
    Then the command succeeds
    And its output says:
      """
      no leases
      """

  Scenario: The JSON document writes a resource's name as it is, not escaped
    Given instance A holds "ressource-é" with a TTL of 30 s
    When the operator runs "lockspec status --json --store $STORE"
    Then the command succeeds
    And its output writes "ressource-é" as it is, not escaped

  Scenario: More than two -v are as many as two: every attempt is logged
    Given instance A holds "resource-1" with a TTL of 30 s
    When the operator runs "lockspec -vvv run resource-1 --timeout 50ms --store $STORE -- true"
    Then the command exits with status 75
    And its error output logs "'resource-1' is held by 'A' (token"

  Scenario Outline: A mistake on the command line is a usage error in one line: <command>
    When the operator runs "<command>"
    Then the command exits with status 64
    And its error output is one line naming "<complaint>"

    Examples:
      | command                                      | complaint          |
      | lockspec                                     | required: COMMAND  |
      | lockspec status                              | LOCKSPEC_STORE or LOCKSPEC_DIR |
      | lockspec status --store $STORE --lock-dir $LOCK_DIR | not both --store and --lock-dir |
      | lockspec status --store ftp://host/locks      | unknown scheme 'ftp' |
      | lockspec status --store $STORE --bogus | --bogus            |
      | lockspec frobnicate --store $STORE     | frobnicate         |
      | lockspec status --store $STORE -- ls   | only run           |
      | lockspec run r --ttl 30 --store $STORE -- true | invalid --ttl |
      | lockspec run r --ttl 0ms --store $STORE -- true | invalid --ttl: must be greater than 0 |
      | lockspec run r --timeout 9000h --store $STORE -- true | invalid --timeout: must be at most |
      | lockspec run r --grace 0s --store $STORE -- true | invalid --grace |
      | lockspec status --max-clock-skew 2 --store $STORE | invalid --max-clock-skew |
      | lockspec run r --store $STORE          | needs a command    |
      | lockspec run r --store $STORE sh -c true | put the command after -- |

  @file
  Scenario Outline: A store named without :// is a lock directory's path, not a URL: <name>
    When the operator runs "lockspec status --store <name>"
    Then the command exits with status 74
    And its error output is one line naming "No such file or directory"

    Examples:
      | name                | comment                                  |
      | no-such-folder      | a bare folder name                       |
      | c:no-such-folder    | one letter before the colon, as a drive  |

  @file
  Scenario: The status of a lock directory that does not exist is an error, and creates nothing
    When the operator runs "lockspec status --lock-dir $LOCK_DIR/typo"
    Then the command exits with status 74
    And its error output is one line naming "No such file or directory"
    And there is no folder "typo" in the lock directory

  @file
  Scenario: A lock directory that cannot be used is a storage error in one line
    Given the path "not-a-folder" next to the lock directory is a regular file
    When the operator runs "lockspec status --lock-dir $LOCK_DIR/../not-a-folder"
    Then the command exits with status 74
    And its error output is one line naming "Not a directory"
