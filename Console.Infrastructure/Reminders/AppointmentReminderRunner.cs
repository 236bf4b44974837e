using Microsoft.EntityFrameworkCore;
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

    public async Task<TextRef?> RunAsync(AppDbContext db, ScheduledItem item, Conversation conversation, DateTimeOffset now, CancellationToken ct)
    {
        var appointment = item.AppointmentId is { } id ? await db.Appointments.SingleOrDefaultAsync(a => a.Id == id, ct) : null;
        if (appointment is not { IsActive: true })
        {
            // Its cancel should have cancelled this item; a stale one stays quiet.
            item.Skip("appointment_closed", now);
            return null;
        }
        var tenant = await db.Tenants.AsNoTracking().Where(t => t.Id == item.TenantId).Select(t => new { t.TimeZone, t.DefaultCulture }).SingleAsync(ct);
        var zone = ReminderZone.Of(tenant.TimeZone);
        var (date, time) = ReminderTexts.When(appointment.StartsAt, zone, tenant.DefaultCulture);
        // Operators read the time in their own language: a neutral local form for the timeline and the command center.
        var at = TimeZoneInfo.ConvertTime(appointment.StartsAt, zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        if (now >= appointment.StartsAt)
        {
            // Every node was down past the appointment: a reminder now would only confuse.
            item.Skip("too_late", now);
            return Trouble(db, conversation, now, "too_late", at);
        }
        var channel = await db.Channels.SingleAsync(c => c.Id == conversation.ChannelId, ct);
        if (channel.Status != ChannelStatus.Active)
        {
            item.Fail("channel_error", now);
            return Trouble(db, conversation, now, "channel_error", at);
        }
        var settings = await db.ReminderSettings.AsNoTracking().SingleOrDefaultAsync(r => r.TenantId == item.TenantId, ct);
        var name = appointment.Name ?? await db.Contacts.Where(c => c.Id == appointment.ContactId).Select(c => c.Name).SingleOrDefaultAsync(ct);
        OutboundContent content;
        if (conversation.CustomerWindowFor(channel.Kind, byPerson: false, now) == CustomerWindowState.Open)
        {
            var culture = tenant.DefaultCulture;
            var body = ReminderTexts.Body(culture, name, date, time, settings?.Address, appointment.Status == Domain.Agent.AppointmentStatus.Confirmed);
            IReadOnlyList<ReplyButton> buttons = appointment.Status == Domain.Agent.AppointmentStatus.Confirmed
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
