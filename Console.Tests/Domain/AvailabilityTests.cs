using OperatorConsole.Domain.Agent;

namespace OperatorConsole.Tests.Domain;

/// <summary>The free-slot rules of one resource, in the tenant's IANA zone, with a fixed clock.</summary>
public class AvailabilityTests
{
    private static readonly TimeZoneInfo Santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo Mexico = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");

    private static AvailabilityRules Rules(IEnumerable<OpeningInterval>? weekly = null, int slot = 60, int buffer = 0, int leadHours = 0,
        int horizon = 365, params DateOnly[] blocked) =>
        new((weekly ?? EveryDay(9, 12)).ToList(), TimeSpan.FromMinutes(slot), TimeSpan.FromMinutes(buffer), TimeSpan.FromHours(leadHours), horizon, blocked.ToHashSet());

    private static IEnumerable<OpeningInterval> EveryDay(int from, int to) =>
        Enum.GetValues<DayOfWeek>().Select(d => new OpeningInterval(d, new TimeOnly(from, 0), new TimeOnly(to, 0)));

    private static List<string> Local(IEnumerable<DateTimeOffset> slots, TimeZoneInfo zone) =>
        slots.Select(s => TimeZoneInfo.ConvertTime(s, zone).ToString("yyyy-MM-dd HH:mm")).ToList();

    private static DateTimeOffset Utc(int y, int m, int d, int h) => new(y, m, d, h, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_nine_oclock_slot_stays_nine_local_across_the_spring_change_in_Santiago()
    {
        // Chile moves to summer time at 24:00 on Saturday 5 September 2026 (UTC-4 → UTC-3).
        var slots = Availability.FreeSlots(Rules(EveryDay(9, 10)), Santiago, new(2026, 9, 5), new(2026, 9, 7), [], Utc(2026, 9, 1, 0));
        Assert.Equal(["2026-09-05 09:00", "2026-09-06 09:00", "2026-09-07 09:00"], Local(slots, Santiago));
        Assert.Equal([Utc(2026, 9, 5, 13), Utc(2026, 9, 6, 12), Utc(2026, 9, 7, 12)], slots);
    }

    [Fact]
    public void A_nine_oclock_slot_stays_nine_local_across_the_autumn_change_in_Santiago()
    {
        // Winter time from 24:00 on Saturday 4 April 2026 (UTC-3 → UTC-4).
        var slots = Availability.FreeSlots(Rules(EveryDay(9, 10)), Santiago, new(2026, 4, 4), new(2026, 4, 5), [], Utc(2026, 4, 1, 0));
        Assert.Equal([Utc(2026, 4, 4, 12), Utc(2026, 4, 5, 13)], slots);
    }

    [Fact]
    public void New_York_keeps_local_times_across_daylight_saving_and_skips_the_hour_that_does_not_exist()
    {
        // 14 March 2027: 02:00 jumps to 03:00 (UTC-5 → UTC-4).
        var nine = Availability.FreeSlots(Rules(EveryDay(9, 10)), NewYork, new(2027, 3, 13), new(2027, 3, 15), [], Utc(2027, 3, 1, 0));
        Assert.Equal([Utc(2027, 3, 13, 14), Utc(2027, 3, 14, 13), Utc(2027, 3, 15, 13)], nine);

        var night = Availability.FreeSlots(Rules(EveryDay(1, 4)), NewYork, new(2027, 3, 14), new(2027, 3, 14), [], Utc(2027, 3, 1, 0));
        Assert.Equal(["2027-03-14 01:00", "2027-03-14 03:00"], Local(night, NewYork));

        // 7 November 2027: back to UTC-5; 9:00 is 14:00 UTC again.
        var autumn = Availability.FreeSlots(Rules(EveryDay(9, 10)), NewYork, new(2027, 11, 6), new(2027, 11, 8), [], Utc(2027, 11, 1, 0));
        Assert.Equal([Utc(2027, 11, 6, 13), Utc(2027, 11, 7, 14), Utc(2027, 11, 8, 14)], autumn);
    }

    [Fact]
    public void Several_ranges_a_day_and_the_slot_length_decide_the_slots()
    {
        var monday = new DateOnly(2026, 12, 14);
        var weekly = new[]
        {
            new OpeningInterval(DayOfWeek.Monday, new TimeOnly(9, 0), new TimeOnly(10, 30)),
            new OpeningInterval(DayOfWeek.Monday, new TimeOnly(15, 0), new TimeOnly(16, 0)),
        };
        var slots = Availability.FreeSlots(Rules(weekly, slot: 30), Mexico, monday, monday.AddDays(1), [], Utc(2026, 12, 1, 0));
        Assert.Equal(["2026-12-14 09:00", "2026-12-14 09:30", "2026-12-14 10:00", "2026-12-14 15:00", "2026-12-14 15:30"], Local(slots, Mexico));
    }

    [Fact]
    public void Blocked_dates_offer_nothing()
    {
        var slots = Availability.FreeSlots(Rules(EveryDay(9, 11), blocked: [new(2026, 12, 25)]), Mexico, new(2026, 12, 24), new(2026, 12, 26), [], Utc(2026, 12, 1, 0));
        Assert.Equal(["2026-12-24 09:00", "2026-12-24 10:00", "2026-12-26 09:00", "2026-12-26 10:00"], Local(slots, Mexico));
    }

    [Fact]
    public void The_buffer_separates_slots_and_keeps_distance_from_booked_appointments()
    {
        var day = new DateOnly(2026, 12, 15);
        var rules = Rules(EveryDay(9, 13), slot: 45, buffer: 15);
        Assert.Equal(["2026-12-15 09:00", "2026-12-15 10:00", "2026-12-15 11:00", "2026-12-15 12:00"],
            Local(Availability.FreeSlots(rules, Mexico, day, day, [], Utc(2026, 12, 1, 0)), Mexico));

        // An operator put someone at 10:50–11:20: 11:00 overlaps it, 10:00 ends five minutes before it (inside the buffer),
        // 12:00 starts 40 minutes after it.
        var booked = new DateTimeOffset(2026, 12, 15, 10, 50, 0, TimeSpan.FromHours(-6));
        var slots = Availability.FreeSlots(rules, Mexico, day, day, [(booked, booked.AddMinutes(30))], Utc(2026, 12, 1, 0));
        Assert.Equal(["2026-12-15 09:00", "2026-12-15 12:00"], Local(slots, Mexico));
    }

    [Fact]
    public void Lead_time_and_horizon_bound_what_a_customer_can_book_but_not_an_operator()
    {
        // Now: 15 December 2026, 08:30 in Mexico City (UTC-6).
        var now = new DateTimeOffset(2026, 12, 15, 8, 30, 0, TimeSpan.FromHours(-6));
        var rules = Rules(EveryDay(9, 12), leadHours: 2, horizon: 1);
        var slots = Availability.FreeSlots(rules, Mexico, new(2026, 12, 15), new(2026, 12, 20), [], now);
        Assert.Equal(["2026-12-15 11:00", "2026-12-16 09:00", "2026-12-16 10:00", "2026-12-16 11:00"], Local(slots, Mexico));

        var forOperator = Availability.FreeSlots(rules.ForOperator(), Mexico, new(2026, 12, 15), new(2026, 12, 17), [], now);
        Assert.Equal(9, forOperator.Count);
        Assert.True(Availability.IsFree(rules.ForOperator(), Mexico, new DateTimeOffset(2026, 12, 15, 9, 0, 0, TimeSpan.FromHours(-6)), [], now));
        Assert.False(Availability.IsFree(rules, Mexico, new DateTimeOffset(2026, 12, 15, 9, 0, 0, TimeSpan.FromHours(-6)), [], now));
    }

    [Fact]
    public void A_resource_without_its_own_hours_follows_the_business_hours_and_an_empty_week_takes_no_bookings()
    {
        var resource = BookableResource.Create(Guid.NewGuid(), "Sillón 1", true, 0, 60, Utc(2026, 12, 1, 0));
        var day = new DateOnly(2026, 12, 15); // a Tuesday
        var business = new BusinessHours([new OpeningInterval(DayOfWeek.Tuesday, new TimeOnly(10, 0), new TimeOnly(12, 0))]);
        Assert.Equal(["2026-12-15 10:00", "2026-12-15 11:00"],
            Local(Availability.FreeSlots(resource.Rules(business, []), Mexico, day, day, [], Utc(2026, 12, 1, 0)), Mexico));

        resource.Update("Sillón 1", new BusinessHours([]), 60, 0, 0, 90, []);
        Assert.Empty(Availability.FreeSlots(resource.Rules(business, []), Mexico, day, day, [], Utc(2026, 12, 1, 0)));

        // The tenant's holidays add to the resource's own blocked dates.
        resource.Update("Sillón 1", null, 60, 0, 0, 90, [day.AddDays(1)]);
        var rules = resource.Rules(BusinessHours.Always, [day]);
        Assert.Empty(Availability.FreeSlots(rules, Mexico, day, day.AddDays(1), [], Utc(2026, 12, 1, 0)));
        Assert.Equal(9, Availability.FreeSlots(rules, Mexico, day.AddDays(2), day.AddDays(2), [], Utc(2026, 12, 1, 0)).Count);
    }
}
