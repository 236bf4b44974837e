using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Tests.Domain;

/// <summary>
/// When follow-ups are due, with the clock given: gaps are elapsed time, the business's hours are wall-clock time in its
/// own zone, and daylight-saving changes (America/Santiago, America/New_York) move neither.
/// </summary>
public class FollowUpRuleTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo Santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
    private static readonly BusinessHours Weekdays = new(Enumerable.Range(1, 5)
        .Select(d => new OpeningInterval((DayOfWeek)d, new TimeOnly(9, 0), new TimeOnly(18, 0))));

    private static FollowUpPolicy Policy(params int[] gaps)
    {
        var policy = FollowUpPolicy.Default(Guid.NewGuid());
        policy.Update(true, gaps.Length == 0 ? null : gaps, null, null, null, DateTimeOffset.UtcNow);
        return policy;
    }

    [Fact]
    public void The_default_policy_follows_up_after_one_hour_then_23_hours_then_3_days_of_silence()
    {
        var policy = Policy();
        var silent = DateTimeOffset.Parse("2026-06-10T15:00:00Z");
        Assert.Equal(silent.AddHours(1), policy.NextAttemptAt(0, silent, BusinessHours.Always, NewYork));
        Assert.Equal(silent.AddHours(23), policy.NextAttemptAt(1, silent, BusinessHours.Always, NewYork));
        Assert.Equal(silent.AddDays(3), policy.NextAttemptAt(2, silent, BusinessHours.Always, NewYork));
        Assert.Null(policy.NextAttemptAt(3, silent, BusinessHours.Always, NewYork));
    }

    [Fact]
    public void A_disabled_policy_plans_nothing()
    {
        var policy = FollowUpPolicy.Default(Guid.NewGuid());
        Assert.Null(policy.NextAttemptAt(0, DateTimeOffset.UtcNow, BusinessHours.Always, NewYork));
    }

    [Fact]
    public void A_follow_up_due_at_22_00_goes_at_the_next_opening()
    {
        // Tuesday 21:00 EDT (-4) + 1 h = 22:00, closed → Wednesday 09:00 EDT.
        var silent = DateTimeOffset.Parse("2026-03-10T21:00:00-04:00");
        Assert.Equal(DateTimeOffset.Parse("2026-03-11T13:00:00Z"), Policy(60).NextAttemptAt(0, silent, Weekdays, NewYork));
    }

    [Fact]
    public void A_follow_up_inside_opening_hours_goes_on_time()
    {
        var silent = DateTimeOffset.Parse("2026-03-10T10:15:00-04:00");
        Assert.Equal(DateTimeOffset.Parse("2026-03-10T15:15:00Z"), Policy(60).NextAttemptAt(0, silent, Weekdays, NewYork));
    }

    [Fact]
    public void In_New_York_a_follow_up_held_over_the_spring_forward_weekend_goes_at_9_00_daylight_time()
    {
        // Friday 6 March 17:30 EST (-5) + 1 h = 18:30, closed; clocks go forward on Sunday 8 March; Monday 09:00 is EDT (-4).
        var silent = DateTimeOffset.Parse("2026-03-06T17:30:00-05:00");
        Assert.Equal(DateTimeOffset.Parse("2026-03-09T13:00:00Z"), Policy(60).NextAttemptAt(0, silent, Weekdays, NewYork));
    }

    [Fact]
    public void In_New_York_a_gap_is_elapsed_time_across_the_change()
    {
        // Saturday 12:00 EST + 23 elapsed hours = Sunday 12:00 EDT (the clock lost an hour overnight).
        var silent = DateTimeOffset.Parse("2026-03-07T12:00:00-05:00");
        var at = Policy(1380).NextAttemptAt(0, silent, BusinessHours.Always, NewYork)!.Value;
        Assert.Equal(DateTimeOffset.Parse("2026-03-08T12:00:00-04:00"), at);
    }

    [Fact]
    public void In_Santiago_a_follow_up_held_over_the_autumn_change_goes_at_9_00_standard_time()
    {
        // Saturday 4 April 13:30 (-3) + 1 h = 14:30, after Saturday's closing; clocks go back at midnight; Monday 09:00 is -4.
        var silent = DateTimeOffset.Parse("2026-04-04T13:30:00-03:00");
        Assert.Equal(DateTimeOffset.Parse("2026-04-06T13:00:00Z"), Policy(60).NextAttemptAt(0, silent, BusinessHours.Typical, Santiago));
    }

    [Fact]
    public void In_Santiago_an_opening_at_a_midnight_that_does_not_exist_is_the_first_minute_the_clock_shows()
    {
        // Clocks jump from Saturday 5 September 24:00 (-4) to Sunday 01:00 (-3): a Sunday opening at 00:00 is 01:00 -3.
        var hours = new BusinessHours([new OpeningInterval(DayOfWeek.Sunday, new TimeOnly(0, 0), new TimeOnly(6, 0))]);
        var silent = DateTimeOffset.Parse("2026-09-05T22:30:00-04:00");
        Assert.Equal(DateTimeOffset.Parse("2026-09-06T04:00:00Z"), Policy(60).NextAttemptAt(0, silent, hours, Santiago));
    }

    [Fact]
    public void The_policy_refuses_gaps_it_cannot_keep()
    {
        var policy = FollowUpPolicy.Default(Guid.NewGuid());
        Assert.Throws<OperatorConsole.Domain.Common.DomainException>(() => policy.Update(true, [0], null, null, null, DateTimeOffset.UtcNow));
        Assert.Throws<OperatorConsole.Domain.Common.DomainException>(() => policy.Update(true, [], null, null, null, DateTimeOffset.UtcNow));
        Assert.Throws<OperatorConsole.Domain.Common.DomainException>(() =>
            policy.Update(true, Enumerable.Repeat(60, 11).ToList(), null, null, null, DateTimeOffset.UtcNow));
    }

    [Theory]
    [InlineData("STOP")]
    [InlineData("Stop!")]
    [InlineData("stop please")]
    [InlineData("Unsubscribe")]
    [InlineData("Please don't text me anymore")]
    [InlineData("Baja")]
    [InlineData("¡BAJA!")]
    [InlineData("No me escribas más, gracias")]
    [InlineData("quiero cancelar suscripcion")]
    [InlineData("Cancelar suscripción")]
    public void An_opt_out_is_recognised_in_Spanish_and_English_whatever_the_case_and_accents(string message) =>
        Assert.True(OptOutWordsMatcher.Matches(message, FollowUpPolicy.DefaultOptOutWords));

    [Theory]
    [InlineData("La presión me baja por las tardes")]
    [InlineData("Stop by the shop tomorrow and ask for Ana")]
    [InlineData("¿Cuánto cuesta la limpieza?")]
    [InlineData("Me escribes mañana?")]
    [InlineData("")]
    public void An_ordinary_message_is_not_an_opt_out(string message) =>
        Assert.False(OptOutWordsMatcher.Matches(message, FollowUpPolicy.DefaultOptOutWords));

    [Fact]
    public void A_workspace_opt_out_word_counts_as_written()
    {
        Assert.True(OptOutWordsMatcher.Matches("Ya no más", ["ya no mas"]));
        Assert.False(OptOutWordsMatcher.Matches("baja", ["ya no mas"]));
    }
}
