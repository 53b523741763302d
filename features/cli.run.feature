@processes
Feature: A command runs while holding a lease, like flock(1)
  As an operator scripting jobs on several hosts,
  I want `lockspec run RESOURCE -- COMMAND` to run the command only while
  holding the resource's lease, so that two jobs never run at once.

  . RULES:
  .   * run acquires the lease, retrying with backoff until --timeout
  .     (default 10 s); if it gives up, the command does not run and the
  .     exit status is 75.
  .   * While the command runs, the lease is renewed every third of --ttl.
  .   * If the lease is lost (broken, or taken over), run says so in one line
  .     on stderr and stops the command: SIGTERM, then SIGKILL after --grace
  .     (default 10 s); it then exits with status 69. With --on-loss continue,
  .     the command goes on and run exits with its status.
  .   * SIGINT and SIGTERM are forwarded to the command. Ctrl-C while run still
  .     waits for the lease ends it quietly with status 130.
  .   * When the command ends, the lease is released and run exits with the
  .     command's status (128 + N if the command died of signal N).

  Background:
    Given instances A and B share a store

  Scenario: The command runs holding the lease, and run exits with its status
    When the operator runs "lockspec run resource-1 --store $STORE -- sh -c 'lockspec status --store $STORE; exit 3'"
    Then the command exits with status 3
    And its output is a table with the rows:
      | RESOURCE   | STATE | HOLDER         |
      | resource-1 | held  | lockspec-cli-* |
    And "resource-1" is free

  Scenario Outline: run exits with its command's exit status: <script> gives <status>
    When the operator runs "lockspec run resource-1 --store $STORE -- sh -c '<script>'"
    Then the command exits with status <status>
    And "resource-1" is free

    Examples:
      | script        | status | comment                   |
      | exit 0        | 0      |                           |
      | exit 42       | 42     |                           |
      | kill -KILL $$ | 137    | 128 + 9: died of SIGKILL  |

  Scenario: Of two competing runs, the second waits until the first has finished
    When the operator starts "lockspec run resource-1 --store $STORE -- sh -c 'echo first started | tee -a $LOG; read go; echo first ended >> $LOG'" as run 1
    And run 1 has printed "first started"
    And the operator starts "lockspec -vv run resource-1 --store $STORE -- sh -c 'echo second ran >> $LOG'" as run 2
    And run 2 has reported that "resource-1" is held
    And run 1 is told to finish
    Then run 1 ends with status 0
    And run 2 ends with status 0
    And the log reads:
      """
      first started
      first ended
      second ran
      """

  Scenario: A run that cannot get the lease in time gives up, naming the holder
    Given instance A holds "resource-1" with a TTL of 30 s
    When the operator runs "lockspec run resource-1 --timeout 200ms --store $STORE -- sh -c 'echo ran >> $LOG'"
    Then the command exits with status 75
    And its error output is one line naming "held by 'A'"
    And the log is empty
    And "resource-1" is still held by instance A with the lease it acquired

  Scenario: The lease is renewed while a command runs longer than its TTL
    When the operator runs "lockspec run resource-1 --ttl 600ms --store $STORE -- sh -c 'sleep 1.5; lockspec status --store $STORE'"
    Then the command succeeds
    And its output is a table with the rows:
      | RESOURCE   | STATE | HOLDER         | EXPIRES |
      | resource-1 | held  | lockspec-cli-* | in *    |

  Scenario: A run whose lease is lost stops its command, says so in one line, and exits with status 69
    When the operator starts "lockspec run resource-1 --ttl 300ms --store $STORE -- sh -c "trap 'echo got TERM >> $LOG; exit 0' TERM; echo started; while true; do sleep 0.05; done"" as run 1
    And run 1 has printed "started"
    And the operator runs "lockspec break resource-1 --force --store $STORE"
    Then run 1 ends with status 69
    And the log reads:
      """
      got TERM
      """
    And run 1 said once, in one line, that it lost the lease on "resource-1", and stops the command with SIGTERM, then SIGKILL after 10 s

  Scenario: A command that ignores SIGTERM after its lease was lost is killed once the grace period is over
    When the operator starts "lockspec run resource-1 --ttl 300ms --grace 800ms --store $STORE -- sh -c "trap 'echo got TERM, going on >> $LOG' TERM; echo started; while true; do sleep 0.01; done"" as run 1
    And run 1 has printed "started"
    And the operator runs "lockspec break resource-1 --force --store $STORE"
    Then run 1 ends with status 69
    And run 1 ended no sooner than 800 ms after the operator's command started
    And the log reads:
      """
      got TERM, going on
      """
    And run 1 said once, in one line, that it lost the lease on "resource-1", and stops the command with SIGTERM, then SIGKILL after 0.8 s

  Scenario: With --on-loss continue, a run whose lease is lost lets its command finish
    When the operator starts "lockspec run resource-1 --ttl 300ms --on-loss continue --store $STORE -- sh -c 'echo started; read go; echo finished >> $LOG'" as run 1
    And run 1 has printed "started"
    And the operator runs "lockspec break resource-1 --force --store $STORE"
    And run 1 has reported "lost the lease on resource-1"
    And run 1 is told to finish
    Then run 1 ends with status 0
    And the log reads:
      """
      finished
      """
    And run 1 said once, in one line, that it lost the lease on "resource-1"

  Scenario Outline: Durations are read as people write them: --ttl <duration>
    When the operator runs "lockspec run resource-1 --ttl <duration> -- lockspec status --json" with LOCKSPEC_DIR set to the lock directory
    Then the command succeeds
    And its output is a JSON document of schema 1 whose leases are:
      | resource   | ttl_ms |
      | resource-1 | <ms>   |

    Examples:
      | duration | ms      |
      | 150ms    | 150     |
      | 1.5s     | 1500    |
      | '2 s'    | 2000    |
      | 2m       | 120000  |
      | 2min     | 120000  |
      | 1h       | 3600000 |

  Scenario: Ctrl-C while run waits for the lease ends it quietly with status 130
    Given instance A holds "resource-1" with a TTL of 30 s
    When the operator starts "lockspec -vv run resource-1 --timeout 30s --store $STORE -- sh -c 'echo ran >> $LOG'" as run 1
    And run 1 has reported that "resource-1" is held
    And run 1 is sent SIGINT
    Then run 1 ends with status 130
    And run 1 wrote no traceback
    And the log is empty

  Scenario: SIGTERM is forwarded to the command, and the lease is released
    When the operator starts "lockspec run resource-1 --store $STORE -- sh -c "trap 'echo got TERM >> $LOG; exit 7' TERM; echo ready; while true; do sleep 0.05; done"" as run 1
    And run 1 has printed "ready"
    And run 1 is sent SIGTERM
    Then run 1 ends with status 7
    And the log reads:
      """
      got TERM
      """
    And "resource-1" is free

  Scenario: A command ended by a signal makes run end with 128 plus its number, as a shell reports it
    When the operator starts "lockspec run resource-1 --store $STORE -- sh -c 'echo ready; while true; do sleep 0.05; done'" as run 1
    And run 1 has printed "ready"
    And run 1 is sent SIGTERM
    Then run 1 ends with status 143
    And "resource-1" is free

  Scenario Outline: A command that dies of a signal it sent itself makes run end with 128 plus its number: <signal>
    When the operator runs "lockspec run resource-1 --store $STORE -- sh -c 'kill -<signal> $$'"
    Then the command exits with status <status>
    And "resource-1" is free

    Examples:
      | signal | status |
      | HUP    | 129    |
      | KILL   | 137    |

  @file
  Scenario: A run with --shared-group makes a missing lock directory for the group
    When the operator runs "lockspec run resource-1 --shared-group --lock-dir $LOCK_DIR/../group-locks -- true"
    Then the command succeeds
    And the folder "group-locks" next to the lock directory has mode 2770

  Scenario Outline: A command that cannot be started is reported like a shell would: <complaint>
    When the operator runs "lockspec run resource-1 --store $STORE -- <command>"
    Then the command exits with status <status>
    And its error output is one line naming "<complaint>"
    And "resource-1" is free

    Examples:
      | command                        | status | complaint                               |
      | no-such-command-here --verbose | 127    | command not found: no-such-command-here |
      | $FOLDER --verbose              | 126    | cannot be executed: /                   |
