using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Appointments;

/// <summary>
/// The customer's "add to calendar" links: a public .ics link whose token is the appointment id protected with the
/// app's Data Protection keys (unguessable, and an id alone opens nothing), and the Google Calendar link.
/// </summary>
public sealed class AppointmentInvites(ContextScopes scopes, IDataProtectionProvider protection, TimeProvider clock)
{
    private readonly IDataProtector _protector = protection.CreateProtector("OperatorConsole.AppointmentInvite.v1");

    public string Token(Guid appointmentId) => _protector.Protect(appointmentId.ToString("N"));

    public string IcsPath(Guid appointmentId) => $"/invite/{appointmentId:N}.ics?t={Uri.EscapeDataString(Token(appointmentId))}";

    /// <summary>The .ics text of an appointment when the token is its own; null otherwise (the caller answers 404).</summary>
    public async Task<string?> IcsAsync(Guid appointmentId, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            if (_protector.Unprotect(token) != appointmentId.ToString("N")) return null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
        // The link carries no tenant: the token proved it was issued for this appointment, so a system read is safe.
        await using var work = scopes.ForSystem("appointment invite");
        var appointment = await work.Db.Appointments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == appointmentId, ct);
        if (appointment is null) return null;
        var tenant = await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == appointment.TenantId, ct);
        var title = Title(tenant.Name, tenant.DefaultCulture);
        return CalendarInvite.Ics(appointment.Id, appointment.StartsAt, appointment.EndsAt, title, appointment.Notes, null,
            clock.GetUtcNow(), sequence: appointment.StatusChangedAt is { } changed ? (int)(changed.ToUnixTimeSeconds() % 1_000_000) : 0,
            cancelled: appointment.Status == AppointmentStatus.Cancelled);
    }

    public static string GoogleUrl(Appointment appointment, string businessName, string culture) =>
        CalendarInvite.GoogleCalendarUrl(appointment.StartsAt, appointment.EndsAt, Title(businessName, culture), appointment.Notes, null);

    private static string Title(string business, string culture) =>
        (culture.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? "Appointment — " : "Cita — ") + business;
}
