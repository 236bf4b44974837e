using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Tests.Domain;

/// <summary>When reminders go, with a fixed "now" (the rule, not the scheduler): whole days keep the local wall-clock time across daylight-saving changes.</summary>
public class ReminderTimesTests
{
    private static readonly TimeZoneInfo Santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static DateTimeOffset Local(TimeZoneInfo zone, int y, int mo, int d, int h, int mi = 0)
    {
        var local = new DateTime(y, mo, d, h, mi, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    [Theory]
    // New York springs forward early on 8 March 2026 and falls back early on 1 November 2026.
    [InlineData("America/New_York", 2026, 3, 8, 2026, 3, 7)]
    [InlineData("America/New_York", 2026, 11, 1, 2026, 10, 31)]
    // Santiago falls back at midnight starting 5 April 2026 and springs forward at midnight starting 6 September 2026.
    [InlineData("America/Santiago", 2026, 4, 5, 2026, 4, 4)]
    [InlineData("America/Santiago", 2026, 9, 6, 2026, 9, 5)]
    public void A_day_before_a_9_oclock_appointment_after_a_clock_change_is_9_oclock_local_the_day_before(string zoneId, int y, int m, int d, int ry, int rm, int rd)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var start = Local(zone, y, m, d, 9);
        var at = ReminderTimes.At(start, 1440, zone);
        var local = TimeZoneInfo.ConvertTime(at, zone);
        Assert.Equal(new DateTime(ry, rm, rd, 9, 0, 0), local.DateTime);
        // Not 24 elapsed hours: the day before the change had a different length.
        Assert.NotEqual(TimeSpan.FromHours(24), start - at);
    }

    [Fact]
    public void Two_hours_before_is_two_real_hours_even_across_the_change()
    {
        // 8 March 2026, 03:30 in New York: the clocks jumped from 02:00 to 03:00 an hour and a half earlier.
        var start = Local(NewYork, 2026, 3, 8, 3, 30);
        var at = ReminderTimes.At(start, 120, NewYork);
        Assert.Equal(TimeSpan.FromHours(2), start - at);
        Assert.Equal(new DateTime(2026, 3, 8, 0, 30, 0), TimeZoneInfo.ConvertTime(at, NewYork).DateTime);
    }

    [Fact]
    public void A_day_before_falls_in_the_skipped_hour_goes_at_the_first_valid_minute_after_it()
    {
        // Santiago skips 00:00–01:00 on 6 September 2026; an appointment at 00:30 the next day has no "00:30 the day before".
        var start = Local(Santiago, 2026, 9, 7, 0, 30);
        var local = TimeZoneInfo.ConvertTime(ReminderTimes.At(start, 1440, Santiago), Santiago).DateTime;
        Assert.Equal(new DateTime(2026, 9, 6, 1, 0, 0), local);
    }

    [Fact]
    public void Reminders_already_past_at_booking_are_left_out()
    {
        var now = Local(NewYork, 2026, 5, 4, 8);
        var start = Local(NewYork, 2026, 5, 4, 11);
        var planned = ReminderTimes.Plan(start, [1440, 120], NewYork, now);
        Assert.Equal(new[] { start.AddHours(-2) }, planned);
        Assert.Empty(ReminderTimes.Plan(start, [1440, 120], NewYork, start.AddMinutes(-90)));
    }

    [Fact]
    public void Settings_refuse_offsets_out_of_range_and_a_template_without_its_language()
    {
        var settings = ReminderSettings.Create(Guid.NewGuid(), DateTimeOffset.UtcNow);
        Assert.Equal("reminders.offset", Assert.Throws<DomainException>(() => settings.Update([0], null, null, null, DateTimeOffset.UtcNow)).Code);
        Assert.Equal("reminders.too_many", Assert.Throws<DomainException>(() => settings.Update([1, 2, 3, 4, 5, 6], null, null, null, DateTimeOffset.UtcNow)).Code);
        Assert.Equal("reminders.template_language",
            Assert.Throws<DomainException>(() => settings.Update([60], "cita_recordatorio", null, null, DateTimeOffset.UtcNow)).Code);
        settings.Update([120, 1440, 120], "cita_recordatorio", "es_MX", "Av. Siempre Viva 742", DateTimeOffset.UtcNow);
        Assert.Equal(new[] { 1440, 120 }, settings.OffsetsMinutes);
    }
}
