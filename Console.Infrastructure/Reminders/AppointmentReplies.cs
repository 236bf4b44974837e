using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Platform;

namespace OperatorConsole.Infrastructure.Reminders;

/// <summary>
/// The customer tapped Confirm or Cancel on a reminder (a WhatsApp reply button, a Messenger / Instagram quick reply):
/// the appointment changes as "customer", in the webhook's own transaction, the timeline says so and the customer gets
/// an acknowledgement. The agent does not answer that tap on top. Only the tapping customer's own appointment changes;
/// any other id reads as an ordinary message.
/// </summary>
public sealed class AppointmentReplies(OutboundMessages outbound)
{
    /// <summary>The button id of an inbound message's payload (WhatsApp interactive button_reply, Meta quick_reply), if any.</summary>
    public static string? ChoiceId(string? payloadJson)
    {
        if (string.IsNullOrEmpty(payloadJson) || !payloadJson.Contains("appointment:", StringComparison.Ordinal)) return null;
        try
        {
            using var doc = JsonDocument.Parse(payloadJson);
            var root = doc.RootElement;
            return root.TryGetProperty("type", out var type) ? type.GetString() switch
            {
                "interactive" when root.TryGetProperty("interactive", out var i) && i.TryGetProperty("button_reply", out var b)
                    && b.TryGetProperty("id", out var id) => id.GetString(),
                "quick_reply" when root.TryGetProperty("quick_reply", out var q) && q.TryGetProperty("payload", out var p) => p.GetString(),
                "button" when root.TryGetProperty("button", out var t) && t.TryGetProperty("payload", out var p) => p.GetString(),
                _ => null,
            } : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the message was a reminder's button and was handled here (no agent turn for it).</summary>
    public async Task<bool> TryApplyAsync(AppDbContext db, Channel channel, Contact contact, Conversation conversation, string? payloadJson,
        DateTimeOffset now, CancellationToken ct)
    {
        if (ReminderTexts.ParseId(ChoiceId(payloadJson)) is not var (appointmentId, confirm)) return false;
        var appointment = await db.Appointments.SingleOrDefaultAsync(a => a.Id == appointmentId && a.ContactId == contact.Id, ct);
        if (appointment is null) return false;
        var tenant = await db.Tenants.AsNoTracking().Where(t => t.Id == channel.TenantId).Select(t => new { t.TimeZone, t.DefaultCulture }).SingleAsync(ct);
        var zone = ReminderZone.Of(tenant.TimeZone);
        var (date, time) = ReminderTexts.When(appointment.StartsAt, zone, tenant.DefaultCulture);
        var at = TimeZoneInfo.ConvertTime(appointment.StartsAt, zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        string answer;
        TextRef? line = null;
        try
        {
            var from = appointment.Status;
            if (confirm)
            {
                if (appointment.Confirm(Customer, now))
                {
                    db.Raise(new AppointmentStatusChanged(appointment.TenantId, appointment.Id, appointment.ContactId, appointment.ConversationId,
                        appointment.StartsAt, Wire(from), "confirmed", Customer));
                    line = new TextRef("Reminders.CustomerConfirmed", $"The customer confirmed the appointment of {at}", at);
                }
                answer = ReminderTexts.Confirmed(tenant.DefaultCulture, date, time);
            }
            else
            {
                if (appointment.Cancel(Customer, now))
                {
                    db.Raise(new AppointmentCancelled(appointment.TenantId, appointment.Id, appointment.ContactId, appointment.ConversationId,
                        appointment.StartsAt, Customer));
                    line = new TextRef("Reminders.CustomerCancelled", $"The customer cancelled the appointment of {at}", at);
                }
                answer = ReminderTexts.Cancelled(tenant.DefaultCulture, date, time);
            }
        }
        catch (DomainException)
        {
            // Cancelled earlier, or already took place: tell the customer instead of pretending.
            answer = ReminderTexts.Unchangeable(tenant.DefaultCulture);
        }
        if (line is not null)
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AppointmentChanged, null, line.English,
                TextRefs.Serialize(line), now));
        try
        {
            outbound.Stage(db, conversation, channel, MessageSender.Bot, null, new OutboundContent { Text = answer });
        }
        catch (Exception ex) when (ex is WindowClosedException or DomainException)
        {
            // The customer just wrote, so the window is open; a channel that refuses text still keeps the change.
        }
        return true;
    }

    private const string Customer = "customer";

    private static string Wire(Domain.Agent.AppointmentStatus status) => status switch
    {
        Domain.Agent.AppointmentStatus.NoShow => "no_show",
        _ => status.ToString().ToLowerInvariant(),
    };
}
