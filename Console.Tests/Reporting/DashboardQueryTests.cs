using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Reporting;
using OperatorConsole.Tests.Support;
using static OperatorConsole.Tests.Reporting.DashboardTestData;

namespace OperatorConsole.Tests.Reporting;

/// <summary>
/// The owner's home figures on real PostgreSQL: a workspace in Bogotá (UTC−5) with known conversations, messages, handoffs,
/// leads, appointments and payments, read at 15:00 local time; each figure asserted for today, 7 and 30 days, with the
/// day boundaries at local midnight, and a second workspace's data never counted.
/// </summary>
public class DashboardQueryTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private static readonly TimeSpan Bogota = TimeSpan.FromHours(-5);

    // Wednesday 10 June 2026, 15:00 in Bogotá (20:00 UTC).
    private static readonly DateTimeOffset Now = Local(10, 15);

    private static DateTimeOffset Local(int day, int hour, int minute = 0, int second = 0) =>
        new DateTimeOffset(2026, 6, day, hour, minute, second, Bogota).ToUniversalTime();

    private sealed record Seeded(Guid TenantId, Dictionary<string, Conversation> Conversations, Dictionary<string, Contact> Contacts);

    private DashboardQueries Queries() => new(app.Scopes, new FakeTimeProvider(Now));

    private async Task<Seeded> SeedAsync(string timeZone = "America/Bogota")
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var db = work.Db;
        (await db.Tenants.SingleAsync(t => t.Id == tenant.Id)).SetLocale(timeZone, "es");
        var rows = new List<object>();
        var conversations = new Dictionary<string, Conversation>();
        var contacts = new Dictionary<string, Contact>();
        void Add(string key, (Contact Contact, Conversation Conversation) pair) => (contacts[key], conversations[key]) = pair;

        // Today: A answered by the bot alone in 30 s; B by the bot in 10 s then a person; C by a person in 5 min; D by nobody
        // (the team's internal notice about D is not an answer).
        Add("A", Converse(rows, tenant.Id, channel, "Ana", Local(10, 10), (30, MessageSender.Bot)));
        Add("B", Converse(rows, tenant.Id, channel, "Beto", Local(10, 9), (10, MessageSender.Bot), (120, MessageSender.Agent)));
        Add("C", Converse(rows, tenant.Id, channel, "Carla", Local(10, 11), (300, MessageSender.Agent)));
        Add("D", Converse(rows, tenant.Id, channel, "Dario", Local(10, 12), (5, MessageSender.System)));
        // 23:50 yesterday in Bogotá is already 10 June in UTC: yesterday for this workspace.
        Add("E", Converse(rows, tenant.Id, channel, "Elena", Local(9, 23, 50), (20, MessageSender.Bot)));
        // Eight days ago: only in the 30-day view.
        Add("F", Converse(rows, tenant.Id, channel, "Fabio", Local(2, 10), (60, MessageSender.Bot)));

        var stages = await db.PipelineStages.OrderBy(s => s.Position).ToListAsync();
        contacts["B"].MoveTo(stages[1].Id);
        contacts["A"].SetScore(80, "test", Now);
        contacts["D"].SetScore(20, "test", Now);

        rows.Add(Event(conversations["C"], ConversationEventType.HandedOff, Local(10, 11, 1), HandoffReason.Keyword));
        // An agent picking up a handed-off conversation is not a manual takeover.
        rows.Add(Event(conversations["C"], ConversationEventType.TakenOver, Local(10, 11, 2)));
        rows.Add(Event(conversations["D"], ConversationEventType.HandedOff, Local(10, 12, 1), HandoffReason.RepeatedFailures));
        rows.Add(Event(conversations["B"], ConversationEventType.HandedOff, Local(10, 9, 1), HandoffReason.UserRequested));
        // A took over from the bot: a manual takeover.
        rows.Add(Event(conversations["A"], ConversationEventType.TakenOver, Local(10, 10, 5)));
        rows.Add(Event(conversations["E"], ConversationEventType.HandedOff, Local(9, 23, 55), HandoffReason.MessageCountLimit));

        var booked = Local(1, 8);
        var chair = BookableResource.Create(tenant.Id, "Sillón", false, 0, 30, booked);
        db.Add(chair);
        await db.SaveChangesAsync(); // before the bookings that name it
        var resource = chair.Id;
        var later = Appointment.Book(tenant.Id, contacts["A"].Id, resource, null, Local(10, 16), TimeSpan.FromMinutes(30), "Ana", null, null, booked);
        var done = Appointment.Book(tenant.Id, contacts["B"].Id, resource, null, Local(10, 9), TimeSpan.FromMinutes(30), "Beto", null, null, booked);
        done.Complete("test", Local(10, 10));
        var tomorrow = Appointment.Book(tenant.Id, contacts["C"].Id, resource, null, Local(11, 10), TimeSpan.FromMinutes(30), "Carla", null, null, booked);
        tomorrow.Confirm("test", booked);
        var yesterday = Appointment.Book(tenant.Id, contacts["D"].Id, resource, null, Local(9, 10), TimeSpan.FromMinutes(30), "Dario", null, null, booked);
        yesterday.Cancel("test", booked);
        rows.AddRange([later, done, tomorrow, yesterday]);

        PaymentLink Link(string contact, decimal amount, string currency, DateTimeOffset created, DateTimeOffset? paid = null)
        {
            var link = PaymentLink.Create(tenant.Id, contacts[contact].Id, null, "Pedido", amount, currency, created);
            if (paid is { } at) link.MarkPaid(amount, currency, at);
            rows.Add(link);
            return link;
        }
        Link("A", 500m, "MXN", Local(10, 9), Local(10, 10));
        Link("B", 250.50m, "MXN", Local(10, 9), Local(10, 11));
        Link("C", 40m, "USD", Local(9, 9), Local(9, 10));
        Link("D", 100m, "MXN", Local(10, 9));
        Link("A", 300m, "MXN", Local(10, 9)).MarkUnpaid(PaymentLinkStatus.Failed, Local(10, 10));

        foreach (var row in rows) db.Add(row);
        await db.SaveChangesAsync();
        return new Seeded(tenant.Id, conversations, contacts);
    }

    /// <summary>Another workspace with the same kind of activity today, none of which may show in the first one.</summary>
    private async Task SeedNeighbourAsync()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var rows = new List<object>();
        var (contact, conversation) = Converse(rows, tenant.Id, channel, "Vecino", Local(10, 10), (1, MessageSender.Agent));
        rows.Add(Event(conversation, ConversationEventType.HandedOff, Local(10, 10, 1), HandoffReason.Keyword));
        var link = PaymentLink.Create(tenant.Id, contact.Id, null, "Pedido", 999m, "MXN", Local(10, 9));
        link.MarkPaid(999m, "MXN", Local(10, 10));
        rows.Add(link);
        foreach (var row in rows) work.Db.Add(row);
        await work.Db.SaveChangesAsync();
    }

    [Fact]
    public async Task Today_counts_conversations_by_who_answered_and_the_median_first_response_in_the_workspace_zone()
    {
        var seeded = await SeedAsync();
        await SeedNeighbourAsync();

        var s = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Today);

        Assert.True(s.HasConversations);
        Assert.Equal(Local(10, 0), s.From);
        Assert.Equal(Local(11, 0), s.To);
        Assert.Equal((4, 2, 1, 1), (s.Conversations, s.ConversationsByHuman, s.ConversationsByBot, s.ConversationsUnanswered));
        Assert.Equal((4, 2, 2), (s.CustomerMessages, s.BotMessages, s.HumanMessages));
        // First answers: A 30 s, B 10 s, C 300 s; D never answered.
        Assert.Equal((4, 3), (s.FirstResponsesAsked, s.FirstResponsesAnswered));
        Assert.Equal(TimeSpan.FromSeconds(30), s.MedianFirstResponse);
        Assert.Equal(new DashboardDay(new DateOnly(2026, 6, 10), 2, 1, 1), Assert.Single(s.Days));
    }

    [Fact]
    public async Task Seven_and_thirty_days_start_at_local_midnight_so_a_message_at_2350_counts_on_its_local_day()
    {
        var seeded = await SeedAsync();

        var week = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Week);
        var month = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Month);

        Assert.Equal(Local(4, 0), week.From);
        Assert.Equal(7, week.Days.Count);
        Assert.Equal((5, 2, 2, 1), (week.Conversations, week.ConversationsByHuman, week.ConversationsByBot, week.ConversationsUnanswered));
        Assert.Equal(new DashboardDay(new DateOnly(2026, 6, 9), 0, 1, 0), week.Days[^2]);
        Assert.Equal(new DashboardDay(new DateOnly(2026, 6, 10), 2, 1, 1), week.Days[^1]);
        Assert.Equal(0, week.Days.Take(5).Sum(d => d.Total));
        // 10, 20, 30, 300 s: the median of an even count is the mean of the middle two.
        Assert.Equal(TimeSpan.FromSeconds(25), week.MedianFirstResponse);

        Assert.Equal(30, month.Days.Count);
        Assert.Equal(6, month.Conversations);
        Assert.Equal(new DashboardDay(new DateOnly(2026, 6, 2), 0, 1, 0), month.Days.Single(d => d.Day == new DateOnly(2026, 6, 2)));
        Assert.Equal(TimeSpan.FromSeconds(30), month.MedianFirstResponse);
    }

    [Fact]
    public async Task Handoffs_are_grouped_by_why_and_a_takeover_counts_only_when_the_bot_had_the_conversation()
    {
        var seeded = await SeedAsync();
        await SeedNeighbourAsync();

        var today = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Today);
        var week = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Week);

        Assert.Equal(new Dictionary<HandoffGroup, int>
        {
            [HandoffGroup.Keyword] = 1, [HandoffGroup.BotEscalated] = 1, [HandoffGroup.FailingTurn] = 1,
            [HandoffGroup.MessageCount] = 0, [HandoffGroup.ManualTakeover] = 1,
        }, today.Handoffs);
        Assert.Equal(1, week.Handoffs[HandoffGroup.MessageCount]);
        Assert.Equal(5, week.HandoffTotal);
    }

    [Fact]
    public async Task Leads_by_stage_and_temperature_appointments_and_revenue_per_currency_are_the_workspaces_own()
    {
        var seeded = await SeedAsync();
        await SeedNeighbourAsync();

        var today = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Today);
        var week = await Queries().SummaryAsync(seeded.TenantId, DashboardPeriod.Week);

        Assert.Equal(6, today.Leads);
        Assert.Equal(5, today.Stages[0].Leads);
        Assert.Equal(1, today.Stages[1].Leads);
        Assert.Equal((1, 4, 1), (today.Temperatures[LeadTemperature.Hot], today.Temperatures[LeadTemperature.Warm], today.Temperatures[LeadTemperature.Cold]));
        // Contacts are created when they first write: A–D today, E yesterday in Bogotá.
        Assert.Equal(4, today.NewLeads);
        Assert.Equal(5, week.NewLeads);

        Assert.Equal((1, 0, 0, 1, 0), (today.Appointments[AppointmentStatus.Pending], today.Appointments[AppointmentStatus.Confirmed],
            today.Appointments[AppointmentStatus.Cancelled], today.Appointments[AppointmentStatus.Completed], today.Appointments[AppointmentStatus.NoShow]));
        // Still to come: today at 16:00 and tomorrow's confirmed one.
        Assert.Equal(2, today.UpcomingAppointments);
        // The week ends tonight: yesterday's cancelled one is in it, tomorrow's confirmed one is not.
        Assert.Equal((1, 0, 1, 1), (week.Appointments[AppointmentStatus.Pending], week.Appointments[AppointmentStatus.Confirmed],
            week.Appointments[AppointmentStatus.Cancelled], week.Appointments[AppointmentStatus.Completed]));

        // Paid today: 500 + 250.50 MXN; the failed and the pending link were sent but earned nothing; the neighbour's 999 is not ours.
        Assert.Equal([new DashboardMoney("MXN", 2, 750.50m, 4)], today.Payments);
        Assert.Equal([new DashboardMoney("MXN", 2, 750.50m, 4), new DashboardMoney("USD", 1, 40m, 1)], week.Payments);
    }

    [Fact]
    public async Task A_brand_new_workspace_has_no_conversations_and_nothing_to_count()
    {
        var tenant = await app.TenantAsync();
        await SeedNeighbourAsync();

        var s = await Queries().SummaryAsync(tenant.Id, DashboardPeriod.Month);

        Assert.False(s.HasConversations);
        Assert.Equal(0, s.Conversations);
        Assert.Null(s.MedianFirstResponse);
        Assert.Equal(0, s.HandoffTotal);
        Assert.Equal(0, s.Leads);
        Assert.NotEmpty(s.Stages);
        Assert.Empty(s.Payments);
        Assert.Equal(0, s.UpcomingAppointments);
    }
}
