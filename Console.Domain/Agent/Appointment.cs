using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

public enum AppointmentStatus { Booked, Cancelled }

/// <summary>
/// A booked slot with the business. The database refuses two booked appointments that overlap in one tenant, so
/// two customers (or two nodes) racing for the same slot cannot both get it. Reminders and the calendar screen come
/// with the Revenue step.
/// </summary>
public sealed class Appointment : ITenantOwned
{
    private Appointment() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ContactId { get; private set; }
    public Guid? ConversationId { get; private set; }
    public DateTimeOffset StartsAt { get; private set; }
    public DateTimeOffset EndsAt { get; private set; }
    public AppointmentStatus Status { get; private set; }
    public string? Name { get; private set; }
    public string? Email { get; private set; }
    public string? Notes { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static Appointment Book(Guid tenantId, Guid contactId, Guid? conversationId, DateTimeOffset start, TimeSpan length,
        string? name, string? email, string? notes, DateTimeOffset now)
    {
        if (start <= now) throw new DomainException("appointment.past", "An appointment must start in the future.");
        if (length <= TimeSpan.Zero) throw new DomainException("appointment.length", "An appointment needs a positive length.");
        return new Appointment
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            ContactId = contactId,
            ConversationId = conversationId,
            StartsAt = start.ToUniversalTime(),
            EndsAt = (start + length).ToUniversalTime(),
            Status = AppointmentStatus.Booked,
            Name = Clean(name, 200),
            Email = Clean(email, 254),
            Notes = Clean(notes, 2_000),
            CreatedAt = now,
        };
    }

    public void Cancel() => Status = AppointmentStatus.Cancelled;

    private static string? Clean(string? s, int max) =>
        string.IsNullOrWhiteSpace(s) ? null : s.Trim() is var t && t.Length > max ? t[..max] : s.Trim();
}

/// <summary>
/// Free slots of <paramref name="length"/> inside the business hours between two dates (local to the tenant),
/// excluding booked appointments and anything before <paramref name="notBefore"/>.
/// </summary>
public static class Availability
{
    public static IReadOnlyList<DateTimeOffset> FreeSlots(BusinessHours hours, TimeZoneInfo zone, DateOnly from, DateOnly to,
        TimeSpan length, IReadOnlyCollection<(DateTimeOffset Start, DateTimeOffset End)> booked, DateTimeOffset notBefore, int max = 40)
    {
        var slots = new List<DateTimeOffset>();
        if (to < from) return slots;
        var intervals = hours.AlwaysOpen
            ? Enum.GetValues<DayOfWeek>().Select(d => new OpeningInterval(d, new TimeOnly(9, 0), new TimeOnly(18, 0))).ToList()
            : hours.Intervals.ToList();
        for (var date = from; date <= to && slots.Count < max; date = date.AddDays(1))
        {
            foreach (var interval in intervals.Where(i => i.Day == date.DayOfWeek))
            {
                for (var t = date.ToDateTime(interval.Opens); t + length <= date.ToDateTime(interval.Closes) && slots.Count < max; t += length)
                {
                    var start = new DateTimeOffset(t, zone.GetUtcOffset(t));
                    var end = start + length;
                    if (start < notBefore) continue;
                    if (booked.Any(b => b.Start < end && start < b.End)) continue;
                    slots.Add(start);
                }
            }
        }
        return slots;
    }
}
