using System.Globalization;

namespace OperatorConsole.Infrastructure.Reminders;

/// <summary>
/// What the customer reads (the reminder and the answer to its buttons), in the workspace's language: these go to the
/// customer's phone, not the console's screens, so they are not UI resources. Button ids name the appointment and the
/// choice, so a tap days later still finds it whatever the conversation said since.
/// </summary>
public static class ReminderTexts
{
    private const string Prefix = "appointment:";

    public static string ConfirmId(Guid appointmentId) => $"{Prefix}{appointmentId:N}:confirm";

    public static string CancelId(Guid appointmentId) => $"{Prefix}{appointmentId:N}:cancel";

    /// <summary>The appointment and the choice a button id names, or null for any other id.</summary>
    public static (Guid AppointmentId, bool Confirm)? ParseId(string? id)
    {
        if (id is null || !id.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = id[Prefix.Length..].Split(':');
        if (parts.Length != 2 || !Guid.TryParseExact(parts[0], "N", out var appointmentId)) return null;
        return parts[1] switch { "confirm" => (appointmentId, true), "cancel" => (appointmentId, false), _ => null };
    }

    private static bool Spanish(string culture) => culture.StartsWith("es", StringComparison.OrdinalIgnoreCase);

    public static CultureInfo Culture(string culture) =>
        CultureInfo.GetCultureInfo(Spanish(culture) ? "es" : "en");

    public static (string Date, string Time) When(DateTimeOffset startsAt, TimeZoneInfo zone, string culture)
    {
        var local = TimeZoneInfo.ConvertTime(startsAt, zone);
        var c = Culture(culture);
        return (local.ToString(Spanish(culture) ? "dddd d 'de' MMMM" : "dddd, MMMM d", c), local.ToString("HH:mm", c));
    }

    public static string Body(string culture, string? name, string date, string time, string? address, bool confirmed)
    {
        var greeting = string.IsNullOrWhiteSpace(name) ? "" : " " + name.Trim();
        var where = string.IsNullOrWhiteSpace(address) ? "" : Spanish(culture) ? $" en {address}" : $" at {address}";
        if (Spanish(culture))
            return $"Hola{greeting}, te recordamos tu cita el {date} a las {time}{where}. " +
                   (confirmed ? "Si no puedes venir, avísanos." : "¿Nos confirmas tu asistencia?");
        return $"Hi{greeting}, a reminder of your appointment on {date} at {time}{where}. " +
               (confirmed ? "If you cannot come, let us know." : "Can you confirm you will come?");
    }

    public static string ConfirmTitle(string culture) => Spanish(culture) ? "Confirmar" : "Confirm";

    public static string CancelTitle(string culture) => Spanish(culture) ? "Cancelar cita" : "Cancel";

    public static string Confirmed(string culture, string date, string time) => Spanish(culture)
        ? $"¡Listo! Tu cita del {date} a las {time} está confirmada. Te esperamos."
        : $"Done! Your appointment on {date} at {time} is confirmed. See you then.";

    public static string Cancelled(string culture, string date, string time) => Spanish(culture)
        ? $"Tu cita del {date} a las {time} quedó cancelada. Si quieres otro horario, escríbenos."
        : $"Your appointment on {date} at {time} is cancelled. Write to us if you want another time.";

    public static string Unchangeable(string culture) => Spanish(culture)
        ? "Esa cita ya no se puede cambiar desde aquí. Escríbenos y te ayudamos."
        : "That appointment can no longer be changed from here. Write to us and we will help.";
}
