Feature: Automated Trading Schedule
  Trading starts and stops by itself at set times in the exchange's time zone.
  Unless a scenario says otherwise the exchange is in America/New_York, trading days are
  Monday to Friday, the window is 09:30 to 16:00, and today is Tuesday 2026-03-10.
  The Scheduler runs on a fake clock and writes an in-memory trading_enabled flag.

  Scenario: Auto-stop at end of day
    Given schedule.stop = "16:00"
    And trading_enabled = true
    When system time reaches 16:00
    Then trading_enabled is set to false

  Scenario: Auto-start next day
    Given schedule.start = "09:30"
    And trading_enabled = false
    When system time reaches 09:30
    Then trading_enabled is set to true

  Scenario: A start in the skipped hour fires at the first instant after the gap
    Given schedule.start = "02:30"
    And schedule.days = "sun"
    And today is 2026-03-08
    And trading_enabled = false
    When system time reaches 03:00
    Then trading_enabled is set to true
    And the transition happened at "2026-03-08T07:00:00Z" and is noted "skipped-hour-shifted"

  Scenario: No trading on a holiday
    Given schedule.start = "09:30"
    And schedule.holidays = "2026-12-25"
    And today is 2026-12-25
    And trading_enabled = false
    When system time reaches 09:30
    Then trading_enabled stays false
    And the state reason says "Holiday 2026-12-25"
    And the next transition is a start at "2026-12-28 09:30"

  Scenario: Restart in the middle of the window enables trading at once
    Given schedule.start = "09:30"
    And schedule.stop = "16:00"
    And trading_enabled = false
    When Stackdeck starts at 11:15
    Then trading_enabled is set to true

  Scenario: A clock jump does not replay missed transitions
    Given trading_enabled = false
    And Stackdeck is running at 08:00
    When the machine sleeps until 08:00 the next day
    Then trading_enabled stays false

  Scenario: Waking up inside the next window writes the state once, without replaying
    Given trading_enabled = true
    And Stackdeck is running at 15:00
    When the machine sleeps until 10:00 the next day
    Then trading_enabled stays true

  Scenario: Manual override until the next transition
    Given trading_enabled = false
    And Stackdeck is running at 10:00
    When "alice" overrides trading to off until the next transition
    Then trading_enabled is set to false
    And the override is shown as set by "alice" until "2026-03-10 16:00"
    When system time reaches 16:00
    Then the override has ended
    And trading_enabled stays false
    When system time reaches 09:30
    Then trading_enabled is set to true
