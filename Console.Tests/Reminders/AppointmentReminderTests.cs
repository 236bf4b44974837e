using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Reminders;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Scheduling;
using OperatorConsole.Tests.Support;
using Quartz;

namespace OperatorConsole.Tests.Reminders;

/// <summary>
/// Appointment reminders end to end on two nodes sharing one database and Quartz's clustered store: planned in the
/// transaction that books, moves or cancels; sent once when due (buttons inside the window, the template outside it);
/// the customer's Confirm / Cancel tap arriving by a real signed webhook. The appointment changes are made here the way
/// the agent and the calendar make them (change + event in one save).
/// </summary>
public class AppointmentReminderTests(TwoSchedulingNodes nodes) : IClassFixture<TwoSchedulingNodes>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Booking_plans_the_reminders_a_day_and_two_hours_before_in_the_workspace_zone()
    {
        var tenant = await nodes.A.TenantAsync();
        await SetZoneAsync(tenant.Id, "America/Santiago");
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Rosa");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var localStart = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date.AddDays(3).AddHours(9);
        var start = new DateTimeOffset(localStart, zone.GetUtcOffset(localStart));

        var appointment = await BookAsync(nodes.A, tenant.Id, conversation, start);

        var items = await RemindersAsync(tenant.Id, appointment.Id);
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal((ScheduledItemKind.AppointmentReminder, ScheduledItemStatus.Pending), (i.Kind, i.Status)));
        Assert.Equal(localStart.AddDays(-1), TimeZoneInfo.ConvertTime(items[0].At, zone).DateTime);
        Assert.Equal(start.AddHours(-2), items[1].At);
        // Their triggers are set once the booking committed.
        await Eventually.TrueAsync(() => TriggerExistsAsync(items[0].At), "the trigger of the reminder's second");

        // Booked 90 minutes ahead: both reminders would be in the past, so there are none.
        var soon = await BookAsync(nodes.A, tenant.Id, conversation, DateTimeOffset.UtcNow.AddMinutes(90));
        Assert.Empty(await RemindersAsync(tenant.Id, soon.Id));
    }

    [Fact]
    public async Task A_move_reschedules_and_a_cancel_removes_the_reminders_in_the_same_transaction()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Luis");
        // Whole seconds: the database keeps microseconds, the comparison below is exact.
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(3).AddHours(15), TimeSpan.Zero);
        var appointment = await BookAsync(nodes.A, tenant.Id, conversation, start);
        var before = await RemindersAsync(tenant.Id, appointment.Id);
        Assert.Equal(2, before.Count);

        // A move whose transaction rolls back leaves the reminders as they were.
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            await using var tx = await work.Db.Database.BeginTransactionAsync();
            await MoveAsync(work.Db, appointment.Id, start.AddDays(1));
            await tx.RollbackAsync();
        }
        Assert.Equal(before.Select(i => (i.Id, i.Status)), (await RemindersAsync(tenant.Id, appointment.Id)).Select(i => (i.Id, i.Status)));

        var moved = start.AddDays(1);
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
            await MoveAsync(work.Db, appointment.Id, moved);
        var after = await RemindersAsync(tenant.Id, appointment.Id);
        Assert.All(after.Where(i => before.Any(b => b.Id == i.Id)), i => Assert.Equal(ScheduledItemStatus.Cancelled, i.Status));
        var pending = after.Where(i => i.Status == ScheduledItemStatus.Pending).ToList();
        Assert.Equal(new[] { moved.AddDays(-1).ToUniversalTime(), moved.AddHours(-2).ToUniversalTime() }, pending.Select(i => i.At.ToUniversalTime()));
        // The new times' seconds get their triggers; the old seconds' triggers may stay (other items can share a second):
        // firing, they find these rows cancelled and claim nothing.
        await Eventually.TrueAsync(async () => await TriggerExistsAsync(pending[0].At) && await TriggerExistsAsync(pending[1].At),
            "the new reminders' triggers set");

        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            var a = await work.Db.Appointments.SingleAsync(x => x.Id == appointment.Id);
            a.Cancel("Operadora", DateTimeOffset.UtcNow);
            work.Db.Raise(new AppointmentCancelled(a.TenantId, a.Id, a.ContactId, a.ConversationId, a.StartsAt, "Operadora"));
            await work.Db.SaveChangesAsync();
        }
        Assert.All(await RemindersAsync(tenant.Id, appointment.Id), i => Assert.Equal(ScheduledItemStatus.Cancelled, i.Status));
    }

    [Fact]
    public async Task A_due_reminder_inside_the_window_goes_once_with_confirm_and_cancel_buttons_with_two_nodes_running()
    {
        var tenant = await nodes.A.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/reminders", new { offsetsMinutes = new[] { 1 }, address = "Av. Providencia 1234" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var read = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/reminders");
        Assert.Equal(new[] { 1 }, read.GetProperty("offsetsMinutes").EnumerateArray().Select(x => x.GetInt32()));
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Carla");
        // Its one-minute reminder is due ten seconds out: enough for a slow booking on a loaded machine to still plan it.
        var appointment = await BookAsync(nodes.A, tenant.Id, conversation, DateTimeOffset.UtcNow.AddSeconds(70));
        var item = Assert.Single(await RemindersAsync(tenant.Id, appointment.Id));

        var sent = await Eventually.GetAsync(() => ItemAsync(tenant.Id, item.Id), i => i.Status != ScheduledItemStatus.Pending, "the reminder to go", Generous);
        Assert.Equal(ScheduledItemStatus.Done, sent.Status);
        await QuartzProbe.WaitUntilDoneWithAsync(nodes.A.OwnerConnectionString, ScheduledItems.TriggerKeyFor(item.At), Generous);
        await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
        var message = Assert.Single(await work.Db.Messages.Where(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound).ToListAsync());
        Assert.Equal(sent.MessageId, message.Id);
        var buttons = OutboundEnvelope.Parse(message.Payload)!.Content.Buttons!;
        Assert.Contains("Av. Providencia 1234", buttons.Body);
        Assert.Contains("cita", buttons.Body);
        Assert.Equal(new[] { ReminderTexts.ConfirmId(appointment.Id), ReminderTexts.CancelId(appointment.Id) }, buttons.Buttons.Select(b => b.Id));
    }

    [Fact]
    public async Task Outside_the_window_the_reminder_uses_the_template_and_without_one_it_fails_where_operators_see_it()
    {
        var tenant = await nodes.A.TenantAsync();
        var store = nodes.A.Services.GetRequiredService<ReminderSettingsStore>();
        await store.SaveAsync(tenant.Id, [1], null, null, null);
        var quiet = await nodes.A.ConversationAsync(tenant.Id, "Nora", lastInboundAt: DateTimeOffset.UtcNow.AddDays(-2));
        var appointment = await BookAsync(nodes.A, tenant.Id, quiet, DateTimeOffset.UtcNow.AddSeconds(70));
        var item = Assert.Single(await RemindersAsync(tenant.Id, appointment.Id));

        var failed = await Eventually.GetAsync(() => ItemAsync(tenant.Id, item.Id), i => i.Status != ScheduledItemStatus.Pending, "the reminder to fail", Generous);
        Assert.Equal((ScheduledItemStatus.Failed, "no_template"), (failed.Status, failed.Outcome));
        await using (var check = nodes.A.Scopes.ForSystem("test"))
        {
            var line = await check.Db.ConversationEvents.SingleAsync(e => e.ConversationId == quiet.Id && e.Type == ConversationEventType.ScheduledFailed);
            Assert.Equal("Reminders.NotSent", TextRefs.Parse(line.Data)?.Key);
            await Eventually.TrueAsync(() => check.Db.SystemEvents.AnyAsync(e => e.TenantId == tenant.Id && e.MessageKey == "SystemEvent.ReminderNotSent"),
                "the command center to hear of it");
            Assert.False(await check.Db.Messages.AnyAsync(m => m.ConversationId == quiet.Id && m.Direction == MessageDirection.Outbound));
        }

        // With an approved template chosen, the same reminder goes as that template with its four parameters.
        // (Another workspace: this one's calendar already holds that time.)
        var withTemplate = await nodes.A.TenantAsync();
        await store.SaveAsync(withTemplate.Id, [1], "recordatorio_cita", "es_MX", "Calle 5 #10");
        var other = await nodes.A.ConversationAsync(withTemplate.Id, "Olga", lastInboundAt: DateTimeOffset.UtcNow.AddDays(-2));
        var second = await BookAsync(nodes.A, withTemplate.Id, other, DateTimeOffset.UtcNow.AddSeconds(70), name: "Olga");
        var secondItem = Assert.Single(await RemindersAsync(withTemplate.Id, second.Id));
        var done = await Eventually.GetAsync(() => ItemAsync(withTemplate.Id, secondItem.Id), i => i.Status != ScheduledItemStatus.Pending,
            "the template to go", Generous);
        Assert.Equal(ScheduledItemStatus.Done, done.Status);
        await using var work = nodes.A.Scopes.ForTenant(withTemplate.Id);
        var message = await work.Db.Messages.SingleAsync(m => m.Id == done.MessageId);
        var template = OutboundEnvelope.Parse(message.Payload)!.Content.Template!;
        Assert.Equal(("recordatorio_cita", "es_MX"), (template.Name, template.Language));
        Assert.Equal("Olga", template.BodyParameters[0]);
        Assert.Equal("Calle 5 #10", template.BodyParameters[3]);
    }

    [Fact]
    public async Task A_reminder_found_after_its_appointment_began_is_dropped_with_a_system_event()
    {
        var tenant = await nodes.A.TenantAsync();
        await nodes.A.Services.GetRequiredService<ReminderSettingsStore>().SaveAsync(tenant.Id, [1], null, null, null);
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Tomás");
        // Booked too close for its one-minute reminder; then a reminder that (as far as its row knows) every node missed.
        var start = DateTimeOffset.UtcNow.AddSeconds(2);
        var appointment = await BookAsync(nodes.A, tenant.Id, conversation, start);
        ScheduledItem late;
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            var c = await work.Db.Conversations.SingleAsync(x => x.Id == conversation.Id);
            late = ScheduledItem.ForAppointment(c, appointment.Id, start.AddMinutes(-1), start.AddDays(-1));
            work.Db.ScheduledItems.Add(late);
            await work.Db.SaveChangesAsync();
        }
        await Eventually.TrueAsync(() => Task.FromResult(DateTimeOffset.UtcNow > start), "the appointment to begin");

        Assert.True(await nodes.B.Services.GetRequiredService<ScheduledItems>().SweepAsync(TimeSpan.FromSeconds(1)) >= 1);
        var dropped = await ItemAsync(tenant.Id, late.Id);
        Assert.Equal((ScheduledItemStatus.Skipped, "too_late"), (dropped.Status, dropped.Outcome));
        await using var check = nodes.A.Scopes.ForSystem("test");
        Assert.True(await check.Db.SystemEvents.AnyAsync(e => e.TenantId == tenant.Id && e.MessageKey == "SystemEvent.ReminderNotSent"));
        Assert.False(await check.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound));
    }

    [Fact]
    public async Task The_customer_confirms_from_the_reminder_button_and_only_the_acknowledgement_answers()
    {
        var tenant = await nodes.A.TenantAsync();
        var (conversation, channelExternalId, waId) = await CustomerAsync(tenant.Id, "Marta");
        var appointment = await BookAsync(nodes.A, tenant.Id, conversation, DateTimeOffset.UtcNow.AddDays(2));

        await TapAsync(channelExternalId, waId, ReminderTexts.ConfirmId(appointment.Id), "Confirmar");

        var confirmed = await Eventually.GetAsync(() => AppointmentAsync(tenant.Id, appointment.Id), a => a.Status == AppointmentStatus.Confirmed,
            "the appointment to be confirmed", Generous);
        Assert.Equal("customer", confirmed.StatusChangedBy);
        await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
        var line = await work.Db.ConversationEvents.SingleAsync(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.AppointmentChanged);
        Assert.Equal("Reminders.CustomerConfirmed", TextRefs.Parse(line.Data)?.Key);
        var ack = Assert.Single(await work.Db.Messages.Where(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound).ToListAsync());
        Assert.Contains("confirmada", ack.Body);
        // The agent has no turn to take on that tap: no second answer.
        Assert.Null((await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == conversation.Id)).AgentDueAt);
        // The reminders stay: a confirmed customer is still reminded.
        Assert.All(await RemindersAsync(tenant.Id, appointment.Id), i => Assert.Equal(ScheduledItemStatus.Pending, i.Status));
    }

    [Fact]
    public async Task The_customer_cancels_from_the_reminder_button_and_the_remaining_reminders_are_cancelled()
    {
        var tenant = await nodes.A.TenantAsync();
        var (conversation, channelExternalId, waId) = await CustomerAsync(tenant.Id, "Pedro");
        var appointment = await BookAsync(nodes.A, tenant.Id, conversation, DateTimeOffset.UtcNow.AddDays(2));

        await TapAsync(channelExternalId, waId, ReminderTexts.CancelId(appointment.Id), "Cancelar cita");

        var cancelled = await Eventually.GetAsync(() => AppointmentAsync(tenant.Id, appointment.Id), a => a.Status == AppointmentStatus.Cancelled,
            "the appointment to be cancelled", Generous);
        Assert.Equal("customer", cancelled.StatusChangedBy);
        Assert.All(await RemindersAsync(tenant.Id, appointment.Id), i => Assert.Equal(ScheduledItemStatus.Cancelled, i.Status));
    }

    [Fact]
    public async Task A_tap_naming_another_customers_appointment_changes_nothing()
    {
        var tenant = await nodes.A.TenantAsync();
        var (mine, channelExternalId, waId) = await CustomerAsync(tenant.Id, "Julia");
        var theirs = await nodes.A.ConversationAsync(tenant.Id, "Otra clienta");
        var appointment = await BookAsync(nodes.A, tenant.Id, theirs, DateTimeOffset.UtcNow.AddDays(2));

        var wamid = await TapAsync(channelExternalId, waId, ReminderTexts.CancelId(appointment.Id), "Cancelar cita");

        await Eventually.TrueAsync(async () =>
        {
            await using var w = nodes.A.Scopes.ForTenant(tenant.Id);
            return await w.Db.Messages.AnyAsync(m => m.ExternalId == wamid);
        }, "the tap to be stored as a message");
        Assert.Equal(AppointmentStatus.Pending, (await AppointmentAsync(tenant.Id, appointment.Id)).Status);
        await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
        Assert.False(await work.Db.ConversationEvents.AnyAsync(e => e.ConversationId == mine.Id && e.Type == ConversationEventType.AppointmentChanged));
    }

    private async Task<(Conversation Conversation, string ChannelExternalId, string WaId)> CustomerAsync(Guid tenantId, string name)
    {
        var waId = "569" + Random.Shared.Next(10000000, 99999999);
        var conversation = await nodes.A.ConversationAsync(tenantId, name, customerId: waId);
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        var external = await work.Db.Channels.Where(c => c.Id == conversation.ChannelId).Select(c => c.ExternalId).SingleAsync();
        return (conversation, external, waId);
    }

    /// <summary>The WhatsApp webhook of a reply-button tap, signed like Meta's.</summary>
    private async Task<string> TapAsync(string phoneNumberId, string waId, string buttonId, string title)
    {
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        var body = JsonSerializer.Serialize(new
        {
            @object = "whatsapp_business_account",
            entry = new[]
            {
                new
                {
                    id = "WABA",
                    changes = new[]
                    {
                        new
                        {
                            field = "messages",
                            value = new
                            {
                                messaging_product = "whatsapp",
                                metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
                                contacts = new[] { new { profile = new { name = "Cliente" }, wa_id = waId } },
                                messages = new[]
                                {
                                    new
                                    {
                                        from = waId, id = wamid, timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "interactive",
                                        interactive = new { type = "button_reply", button_reply = new { id = buttonId, title } },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        });
        var response = await new WebhookClient(nodes.A.CreateClient()).PostMetaAsync("whatsapp", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return wamid;
    }

    /// <summary>Books as the agent's tool does: the appointment and its event in one save.</summary>
    private static async Task<Appointment> BookAsync(ConsoleAppFactory node, Guid tenantId, Conversation conversation, DateTimeOffset start, string? name = null)
    {
        await using var work = node.Scopes.ForTenant(tenantId);
        var resource = (await node.Services.GetRequiredService<OperatorConsole.Infrastructure.Appointments.AppointmentCommands>().AvailabilityAsync(tenantId, default)).Resources.Single(r => r.IsDefault).Id;
        var a = Appointment.Book(tenantId, conversation.ContactId, resource, conversation.Id, start, TimeSpan.FromMinutes(30), name, null, null, DateTimeOffset.UtcNow);
        work.Db.Appointments.Add(a);
        work.Db.Raise(new AppointmentBooked(tenantId, a.Id, a.ContactId, a.ConversationId, a.StartsAt, a.EndsAt));
        await work.Db.SaveChangesAsync();
        return a;
    }

    private static async Task MoveAsync(OperatorConsole.Infrastructure.Data.AppDbContext db, Guid appointmentId, DateTimeOffset to)
    {
        var a = await db.Appointments.SingleAsync(x => x.Id == appointmentId);
        var from = a.StartsAt;
        a.Reschedule(to, null, "Operadora", DateTimeOffset.UtcNow);
        db.Raise(new AppointmentMoved(a.TenantId, a.Id, a.ContactId, a.ConversationId, from, a.StartsAt, a.EndsAt, "Operadora"));
        await db.SaveChangesAsync();
    }

    private async Task SetZoneAsync(Guid tenantId, string zone)
    {
        await using var work = nodes.A.Scopes.ForSystem("test");
        var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == tenantId);
        tenant.SetLocale(zone, "es");
        await work.Db.SaveChangesAsync();
    }

    private async Task<List<ScheduledItem>> RemindersAsync(Guid tenantId, Guid appointmentId)
    {
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        return await work.Db.ScheduledItems.AsNoTracking().Where(i => i.AppointmentId == appointmentId).OrderBy(i => i.CreatedAt).ThenBy(i => i.At).ToListAsync();
    }

    private async Task<ScheduledItem> ItemAsync(Guid tenantId, Guid id)
    {
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        return await work.Db.ScheduledItems.AsNoTracking().SingleAsync(i => i.Id == id);
    }

    private async Task<Appointment> AppointmentAsync(Guid tenantId, Guid id)
    {
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        return await work.Db.Appointments.AsNoTracking().SingleAsync(a => a.Id == id);
    }

    private async Task<bool> TriggerExistsAsync(DateTimeOffset at)
    {
        var scheduler = await nodes.A.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        return await scheduler.GetTrigger(ScheduledItems.TriggerKeyFor(at)) is not null;
    }

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => nodes.A.TenantApiAsync(tenantId, "reminders");
}
