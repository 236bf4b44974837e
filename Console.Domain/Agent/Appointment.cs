using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// Pending: booked, not yet confirmed by the customer. Confirmed: the customer said they will come. Pending and
/// confirmed hold their slot; cancelled frees it; completed and no-show close an appointment that has started.
/// </summary>
public enum AppointmentStatus { Pending, Confirmed, Cancelled, Completed, NoShow }

/// <summary>
/// A booked slot with the business. The database refuses two active (pending or confirmed) appointments that overlap
/// for one resource of a tenant, so two customers (or two nodes) racing for the same slot cannot both get it. Every status change
/// and move records who made it ("agent", "customer", a member's name).
/// </summary>
public sealed class Appointment : ITenantOwned
{
    private Appointment() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ContactId { get; private set; }
    /// <summary>The person, chair or room it is booked with; the no-overlap rule is per resource.</summary>
    public Guid ResourceId { get; private set; }
    public Guid? ConversationId { get; private set; }
    public DateTimeOffset StartsAt { get; private set; }
    public DateTimeOffset EndsAt { get; private set; }
    public AppointmentStatus Status { get; private set; }
    public string? Name { get; private set; }
    public string? Email { get; private set; }
    public string? Notes { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    /// <summary>Who last changed the status or the time ("agent", "customer", "api", a member's name); null while untouched.</summary>
    public string? StatusChangedBy { get; private set; }
    public DateTimeOffset? StatusChangedAt { get; private set; }

    /// <summary>The statuses that hold their slot (the exclusion constraint's WHERE).</summary>
    public static readonly AppointmentStatus[] ActiveStatuses = [AppointmentStatus.Pending, AppointmentStatus.Confirmed];

    public bool IsActive => Status is AppointmentStatus.Pending or AppointmentStatus.Confirmed;

    public static Appointment Book(Guid tenantId, Guid contactId, Guid resourceId, Guid? conversationId, DateTimeOffset start, TimeSpan length,
        string? name, string? email, string? notes, DateTimeOffset now)
    {
        if (start <= now) throw new DomainException("appointment.past", "An appointment must start in the future.");
        if (length <= TimeSpan.Zero) throw new DomainException("appointment.length", "An appointment needs a positive length.");
        return new Appointment
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            ContactId = contactId,
            ResourceId = resourceId,
            ConversationId = conversationId,
            StartsAt = start.ToUniversalTime(),
            EndsAt = (start + length).ToUniversalTime(),
            Status = AppointmentStatus.Pending,
            Name = Clean(name, 200),
            Email = Clean(email, 254),
            Notes = Clean(notes, 2_000),
            CreatedAt = now,
        };
    }

    /// <summary>The customer (or an operator for them) confirms. False when already confirmed.</summary>
    public bool Confirm(string by, DateTimeOffset now)
    {
        if (Status == AppointmentStatus.Confirmed) return false;
        EnsureActive();
        return Set(AppointmentStatus.Confirmed, by, now);
    }

    /// <summary>Frees the slot. False when already cancelled; an appointment that already happened cannot be cancelled.</summary>
    public bool Cancel(string by, DateTimeOffset now)
    {
        if (Status == AppointmentStatus.Cancelled) return false;
        EnsureActive();
        return Set(AppointmentStatus.Cancelled, by, now);
    }

    /// <summary>The customer came. Only once the appointment has started.</summary>
    public bool Complete(string by, DateTimeOffset now) => Close(AppointmentStatus.Completed, by, now);

    /// <summary>The customer did not come. Only once the appointment has started.</summary>
    public bool MarkNoShow(string by, DateTimeOffset now) => Close(AppointmentStatus.NoShow, by, now);

    /// <summary>
    /// Moves an active appointment to a new start (keeping its length unless given). The customer has not confirmed the
    /// new time, so it is pending again. The caller checks availability; the database still refuses an overlap.
    /// </summary>
    public void Reschedule(DateTimeOffset start, TimeSpan? length, string by, DateTimeOffset now, Guid? resourceId = null)
    {
        EnsureActive();
        if (start <= now) throw new DomainException("appointment.past", "An appointment must start in the future.");
        var span = length ?? EndsAt - StartsAt;
        if (span <= TimeSpan.Zero) throw new DomainException("appointment.length", "An appointment needs a positive length.");
        StartsAt = start.ToUniversalTime();
        EndsAt = (start + span).ToUniversalTime();
        ResourceId = resourceId ?? ResourceId;
        Set(AppointmentStatus.Pending, by, now);
    }

    private bool Close(AppointmentStatus to, string by, DateTimeOffset now)
    {
        if (Status == to) return false;
        if (Status is AppointmentStatus.Cancelled)
            throw new DomainException("appointment.cancelled", "This appointment was cancelled.");
        if (StartsAt > now) throw new DomainException("appointment.not_started", "This appointment has not started yet.");
        return Set(to, by, now);
    }

    private void EnsureActive()
    {
        if (Status == AppointmentStatus.Cancelled) throw new DomainException("appointment.cancelled", "This appointment was cancelled.");
        if (!IsActive) throw new DomainException("appointment.closed", "This appointment already took place.");
    }

    private bool Set(AppointmentStatus to, string by, DateTimeOffset now)
    {
        Status = to;
        StatusChangedBy = Clean(by, 200) ?? "?";
        StatusChangedAt = now;
        return true;
    }

    private static string? Clean(string? s, int max) =>
        string.IsNullOrWhiteSpace(s) ? null : s.Trim() is var t && t.Length > max ? t[..max] : s.Trim();
}

/// <summary>
/// Free slots of one resource between two local dates, in the tenant's IANA zone: slots start at each opening
/// range's start and step by slot + buffer, end by the range's close, skip blocked dates, keep the buffer from
/// booked appointments, start no sooner than the lead time and no later than the horizon. Slots are built in local
/// wall-clock time and converted per day, so a 9:00 slot stays 9:00 across a daylight-saving change; a local time
/// that does not exist that day (the spring-forward gap) is skipped.
/// </summary>
public static class Availability
{
    public static IReadOnlyList<DateTimeOffset> FreeSlots(AvailabilityRules rules, TimeZoneInfo zone, DateOnly from, DateOnly to,
        IReadOnlyCollection<(DateTimeOffset Start, DateTimeOffset End)> booked, DateTimeOffset now, int max = 40)
    {
        var slots = new List<DateTimeOffset>();
        if (to < from) return slots;
        var notBefore = now + rules.LeadTime;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var lastDay = today.AddDays(rules.HorizonDays);
        if (to > lastDay) to = lastDay;
        var step = rules.Slot + rules.Buffer;
        for (var date = from; date <= to && slots.Count < max; date = date.AddDays(1))
        {
            if (rules.Blocked.Contains(date)) continue;
            foreach (var interval in rules.Weekly.Where(i => i.Day == date.DayOfWeek))
            {
                var closes = date.ToDateTime(interval.Closes);
                for (var t = date.ToDateTime(interval.Opens); t + rules.Slot <= closes && slots.Count < max; t += step)
                {
                    if (zone.IsInvalidTime(t)) continue;
                    var start = new DateTimeOffset(t, zone.GetUtcOffset(t)).ToUniversalTime();
                    var end = start + rules.Slot;
                    if (start < notBefore) continue;
                    if (booked.Any(b => b.Start < end + rules.Buffer && start - rules.Buffer < b.End)) continue;
                    slots.Add(start);
                }
            }
        }
        return slots;
    }

    /// <summary>Whether <paramref name="start"/> is one of the free slots of its local day.</summary>
    public static bool IsFree(AvailabilityRules rules, TimeZoneInfo zone, DateTimeOffset start,
        IReadOnlyCollection<(DateTimeOffset Start, DateTimeOffset End)> booked, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
        return FreeSlots(rules, zone, day, day, booked, now, max: 1_000).Contains(start.ToUniversalTime());
    }
}
