using System.Text;
using OperatorConsole.Domain.Agent;

namespace OperatorConsole.Tests.Domain;

public class CalendarInviteTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 15, 10, 0, 0, TimeSpan.FromHours(-6));

    [Fact]
    public void The_ics_event_is_in_utc_with_escaped_text_crlf_lines_and_the_appointment_as_uid()
    {
        var id = Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        var ics = CalendarInvite.Ics(id, Start, Start.AddHours(1), "Cita: Clínica Dental Sonrisa", "Limpieza, con la Dra. Ruiz; llega 5 min antes\nGracias",
            "Av. Reforma 123, CDMX", new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.StartsWith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", ics);
        Assert.EndsWith("END:VEVENT\r\nEND:VCALENDAR\r\n", ics);
        Assert.DoesNotContain("\n", ics.Replace("\r\n", ""));
        Assert.Contains("DTSTART:20261215T160000Z\r\n", ics);
        Assert.Contains("DTEND:20261215T170000Z\r\n", ics);
        Assert.Contains($"UID:{id:N}@operator-console\r\n", ics);
        var unfolded = ics.Replace("\r\n ", "");
        Assert.Contains(@"DESCRIPTION:Limpieza\, con la Dra. Ruiz\; llega 5 min antes\nGracias", unfolded);
        Assert.Contains(@"LOCATION:Av. Reforma 123\, CDMX", unfolded);
        Assert.All(ics.Split("\r\n"), line => Assert.True(Encoding.UTF8.GetByteCount(line) <= 75, line));
    }

    [Fact]
    public void A_cancelled_appointment_sends_a_cancel_for_the_same_uid()
    {
        var id = Guid.NewGuid();
        var ics = CalendarInvite.Ics(id, Start, Start.AddHours(1), "Cita", null, null, Start, sequence: 2, cancelled: true);
        Assert.Contains("METHOD:CANCEL\r\n", ics);
        Assert.Contains("STATUS:CANCELLED\r\n", ics);
        Assert.Contains("SEQUENCE:2\r\n", ics);
        Assert.Contains($"UID:{id:N}@operator-console", ics);
    }

    [Fact]
    public void The_google_calendar_link_carries_the_title_utc_dates_details_and_place()
    {
        var url = CalendarInvite.GoogleCalendarUrl(Start, Start.AddMinutes(30), "Cita en Clínica Sonrisa", "Limpieza & revisión", "Av. Reforma 123");
        Assert.Equal("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Cita%20en%20Cl%C3%ADnica%20Sonrisa" +
            "&dates=20261215T160000Z%2F20261215T163000Z&details=Limpieza%20%26%20revisi%C3%B3n&location=Av.%20Reforma%20123", url);
    }
}
