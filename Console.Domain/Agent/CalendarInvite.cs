using System.Globalization;
using System.Text;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// What a customer adds to their own calendar: an RFC 5545 event (.ics) and a Google Calendar "add event" link.
/// Times go out in UTC (…Z), so every calendar shows them in the reader's zone; text is escaped and lines folded
/// at 75 octets as the RFC asks. The UID is the appointment's id, so a moved appointment replaces the old entry.
/// </summary>
public static class CalendarInvite
{
    public static string Ics(Guid appointmentId, DateTimeOffset start, DateTimeOffset end, string title, string? description,
        string? location, DateTimeOffset stamp, int sequence = 0, bool cancelled = false)
    {
        var lines = new List<string>
        {
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//OperatorConsole//Appointments//ES",
            "CALSCALE:GREGORIAN",
            cancelled ? "METHOD:CANCEL" : "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            $"UID:{appointmentId:N}@operator-console",
            $"DTSTAMP:{Utc(stamp)}",
            $"DTSTART:{Utc(start)}",
            $"DTEND:{Utc(end)}",
            $"SEQUENCE:{sequence.ToString(CultureInfo.InvariantCulture)}",
            $"SUMMARY:{Escape(title)}",
        };
        if (!string.IsNullOrWhiteSpace(description)) lines.Add($"DESCRIPTION:{Escape(description)}");
        if (!string.IsNullOrWhiteSpace(location)) lines.Add($"LOCATION:{Escape(location)}");
        lines.Add(cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
        lines.Add("END:VEVENT");
        lines.Add("END:VCALENDAR");
        return string.Concat(lines.Select(l => Fold(l) + "\r\n"));
    }

    /// <summary>https://calendar.google.com/calendar/render?action=TEMPLATE with the event's title, UTC dates, details and place.</summary>
    public static string GoogleCalendarUrl(DateTimeOffset start, DateTimeOffset end, string title, string? details, string? location)
    {
        var url = new StringBuilder("https://calendar.google.com/calendar/render?action=TEMPLATE")
            .Append("&text=").Append(Uri.EscapeDataString(title))
            .Append("&dates=").Append(Utc(start)).Append("%2F").Append(Utc(end));
        if (!string.IsNullOrWhiteSpace(details)) url.Append("&details=").Append(Uri.EscapeDataString(details));
        if (!string.IsNullOrWhiteSpace(location)) url.Append("&location=").Append(Uri.EscapeDataString(location));
        return url.ToString();
    }

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace(";", "\\;").Replace(",", "\\,")
        .Replace("\r\n", "\\n").Replace("\n", "\\n").Replace("\r", "");

    /// <summary>Lines longer than 75 octets continue on the next line after CRLF + space, never splitting a UTF-8 character.</summary>
    private static string Fold(string line)
    {
        if (Encoding.UTF8.GetByteCount(line) <= 75) return line;
        var sb = new StringBuilder();
        var octets = 0;
        var limit = 75;
        foreach (var rune in line.EnumerateRunes())
        {
            var size = rune.Utf8SequenceLength;
            if (octets + size > limit)
            {
                sb.Append("\r\n ");
                octets = 0;
                limit = 74; // the leading space counts
            }
            sb.Append(rune.ToString());
            octets += size;
        }
        return sb.ToString();
    }
}
