using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Scheduling;

namespace OperatorConsole.Infrastructure.Reminders;

/// <summary>
/// Sends an appointment reminder when its item comes due. Inside the customer window: a text with confirm / cancel
/// reply buttons; outside it: the workspace's approved template (name, date, time in the workspace's zone, address).
/// A cancelled or closed appointment gets nothing; a reminder found after the appointment began is dropped and said
/// so; one that cannot go (no template, channel in error) fails, in the conversation and the command center.
/// </summary>
public sealed class AppointmentReminderRunner(OutboundMessages outbound) : IScheduledItemRunner
{
    public ScheduledItemKind Kind => ScheduledItemKind.AppointmentReminder;

    public bool RunsInBatches => true;

    public async Task<TextRef?> RunAsync(AppDbContext db, ScheduledItem item, Conversation conversation, DateTimeOffset now, CancellationToken ct) =>
        (await RunBatchAsync(db, [(item, conversation)], now, ct)).Select(n => n.Notice).FirstOrDefault();

    /// <summary>
    /// A batch reads its appointments, workspaces, settings, channels and missing names in one query each (these were
    /// five or six round trips per reminder); then each reminder is decided and staged in memory.
    /// </summary>
    public async Task<IReadOnlyList<(Guid Item, TextRef Notice)>> RunBatchAsync(AppDbContext db,
        IReadOnlyList<(ScheduledItem Item, Conversation Conversation)> due, DateTimeOffset now, CancellationToken ct)
    {
        var appointmentIds = due.Select(d => d.Item.AppointmentId).OfType<Guid>().Distinct().ToList();
        var appointments = await db.Appointments.AsNoTracking().Where(a => appointmentIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        var tenantIds = due.Select(d => d.Item.TenantId).Distinct().ToList();
        var tenants = await db.Tenants.AsNoTracking().Where(t => tenantIds.Contains(t.Id))
            .Select(t => new { t.Id, t.TimeZone, t.DefaultCulture }).ToDictionaryAsync(t => t.Id, ct);
        var settings = await db.ReminderSettings.AsNoTracking().Where(r => tenantIds.Contains(r.TenantId)).ToDictionaryAsync(r => r.TenantId, ct);
        var channelIds = due.Select(d => d.Conversation.ChannelId).Distinct().ToList();
        var channels = await db.Channels.Where(c => channelIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var unnamed = appointments.Values.Where(a => a.Name is null).Select(a => a.ContactId).Distinct().ToList();
        var names = unnamed.Count == 0 ? [] : await db.Contacts.AsNoTracking().Where(c => unnamed.Contains(c.Id))
            .Select(c => new { c.Id, c.Name }).ToDictionaryAsync(c => c.Id, c => c.Name, ct);

        List<(Guid, TextRef)> notices = [];
        foreach (var (item, conversation) in due)
        {
            var appointment = item.AppointmentId is { } id ? appointments.GetValueOrDefault(id) : null;
            var tenant = tenants[item.TenantId];
            var notice = Run(db, item, conversation, appointment, ReminderZone.Of(tenant.TimeZone), tenant.DefaultCulture,
                settings.GetValueOrDefault(item.TenantId), channels[conversation.ChannelId],
                appointment?.Name ?? (appointment is null ? null : names.GetValueOrDefault(appointment.ContactId)), now);
            if (notice is not null) notices.Add((item.Id, notice));
        }
        return notices;
    }

    private TextRef? Run(AppDbContext db, ScheduledItem item, Conversation conversation, Appointment? appointment, TimeZoneInfo zone, string culture,
        ReminderSettings? settings, Channel channel, string? name, DateTimeOffset now)
    {
        if (appointment is not { IsActive: true })
        {
            // Its cancel should have cancelled this item; a stale one stays quiet.
            item.Skip("appointment_closed", now);
            return null;
        }
        var (date, time) = ReminderTexts.When(appointment.StartsAt, zone, culture);
        // Operators read the time in their own language: a neutral local form for the timeline and the command center.
        var at = TimeZoneInfo.ConvertTime(appointment.StartsAt, zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        if (now >= appointment.StartsAt)
        {
            // Every node was down past the appointment: a reminder now would only confuse.
            item.Skip("too_late", now);
            return Trouble(db, conversation, now, "too_late", at);
        }
        if (channel.Status != ChannelStatus.Active)
        {
            item.Fail("channel_error", now);
            return Trouble(db, conversation, now, "channel_error", at);
        }
        OutboundContent content;
        if (conversation.CustomerWindowFor(channel.Kind, byPerson: false, now) == CustomerWindowState.Open)
        {
            var body = ReminderTexts.Body(culture, name, date, time, settings?.Address, appointment.Status == AppointmentStatus.Confirmed);
            IReadOnlyList<ReplyButton> buttons = appointment.Status == AppointmentStatus.Confirmed
                ? [new(ReminderTexts.CancelId(appointment.Id), ReminderTexts.CancelTitle(culture))]
                : [new(ReminderTexts.ConfirmId(appointment.Id), ReminderTexts.ConfirmTitle(culture)),
                   new(ReminderTexts.CancelId(appointment.Id), ReminderTexts.CancelTitle(culture))];
            // TikTok has no reply buttons: the text alone, the customer answers in words.
            content = channel.Kind == ChannelKind.TikTok ? new OutboundContent { Text = body } : new OutboundContent { Buttons = new ButtonsContent(body, buttons) };
        }
        else if (settings?.TemplateName is { } template && channel.Kind == ChannelKind.WhatsApp)
        {
            // WhatsApp refuses an empty parameter.
            content = new OutboundContent
            {
                Template = new TemplateContent(template, settings.TemplateLanguage ?? "es", [name ?? "-", date, time, settings.Address ?? "-"]),
            };
        }
        else
        {
            item.Fail(settings?.TemplateName is null ? "no_template" : "window_closed", now);
            return Trouble(db, conversation, now, settings?.TemplateName is null ? "no_template" : "window_closed", at);
        }
        try
        {
            var message = outbound.Stage(db, conversation, channel, MessageSender.Bot, null, content);
            item.Done(message.Id, now);
            return null;
        }
        catch (Exception ex) when (ex is WindowClosedException or DomainException)
        {
            var code = ex is WindowClosedException ? "window_closed" : ((DomainException)ex).Code;
            item.Fail(code, now);
            return Trouble(db, conversation, now, code, at);
        }
    }

    /// <summary>A timeline line in the reader's language, and the command-center sentence.</summary>
    private static TextRef Trouble(AppDbContext db, Conversation conversation, DateTimeOffset now, string code, string at)
    {
        var reason = TextRef.Word($"Reminders.Why.{code}");
        var line = new TextRef("Reminders.NotSent", $"Appointment reminder for {at} not sent: {code}", at, reason);
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ScheduledFailed, null, line.English,
            TextRefs.Serialize(line), now));
        return new TextRef("SystemEvent.ReminderNotSent", $"An appointment reminder for {at} was not sent: {code}", at, reason);
    }
}
