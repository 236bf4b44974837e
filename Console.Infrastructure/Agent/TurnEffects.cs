using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Appointments;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>Reads shared by live turns and the sandbox: the tenant's own knowledge, files and calendar.</summary>
public abstract class TenantReads(ContextScopes scopes, Guid tenantId, AgentProfile profile, TimeProvider clock)
{
    protected ContextScopes Scopes => scopes;
    protected Guid TenantId => tenantId;
    protected AgentProfile Profile => profile;
    protected TimeProvider Clock => clock;

    public async Task<IReadOnlyList<KnowledgePassage>> SearchKnowledgeAsync(string query, int limit, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Services.GetRequiredService<KnowledgeBase>().SearchAsync(query, limit, ct);
    }

    /// <summary>Free slots of the default resource, with every customer rule (hours, holidays, buffer, lead time, horizon).</summary>
    public async Task<IReadOnlyList<DateTimeOffset>> FreeSlotsAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Services.GetRequiredService<AppointmentCommands>().FreeSlotsAsync(tenantId, null, from, to, asCustomer: true, ct);
    }

    public async Task<AgentFile?> FindFileAsync(string name, CancellationToken ct)
    {
        var files = await AllFilesAsync(ct);
        var wanted = CustomerLanguage.Fold(name.Trim());
        return files.FirstOrDefault(f => CustomerLanguage.Fold(f.Name) == wanted)
            ?? files.FirstOrDefault(f => CustomerLanguage.Fold(f.Name).Contains(wanted) || wanted.Contains(CustomerLanguage.Fold(f.Name)))
            // The model may ask by what the customer said ("el menú"): the owner's trigger words name the file too.
            ?? files.FirstOrDefault(f => f.TriggerWords.Any(w => CustomerLanguage.Fold(w) is var t && (t == wanted || wanted.Contains(t))));
    }

    public async Task<string> FileLinkAsync(AgentFile file, CancellationToken ct)
    {
        if (!file.Stored) return file.Url;
        await using var work = scopes.ForTenant(tenantId);
        var links = work.Services.GetRequiredService<Inbox.OutboundMediaLinks>();
        var publicBase = work.Services.GetRequiredService<Platform.PublicLinks>().Base;
        return new Uri(publicBase, $"media/out/{links.Token(tenantId, file.Id, file.ContentType!)}").AbsoluteUri;
    }

    public async Task<IReadOnlyList<string>> FileNamesAsync(CancellationToken ct) => (await AllFilesAsync(ct)).Select(f => f.Name).ToList();

    private async Task<List<AgentFile>> AllFilesAsync(CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.AgentFiles.AsNoTracking().OrderBy(f => f.Name).ToListAsync(ct);
    }

    public async Task<Product?> FindProductAsync(string name, CancellationToken ct)
    {
        var wanted = name.Trim().ToLower();
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Active && p.Name.ToLower() == wanted, ct);
    }

    public async Task<IReadOnlyList<Product>> ActiveProductsAsync(CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Products.AsNoTracking().Where(p => p.Active).OrderBy(p => p.Name).Take(50).ToListAsync(ct);
    }

    public async Task<(bool Allowed, decimal Max)> CustomAmountRuleAsync(CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var rule = await work.Db.PaymentSettings.AsNoTracking().Select(s => new { s.AllowCustomAmount, s.MaxCustomAmount }).SingleOrDefaultAsync(ct);
        return rule is null ? (false, 0m) : (rule.AllowCustomAmount, rule.MaxCustomAmount);
    }

    protected bool IsFree(DateTimeOffset start, IReadOnlyList<DateTimeOffset> slots) => slots.Contains(start);
}

/// <summary>A live turn's effects: writes go to the tenant's data, each in its own short transaction.</summary>
/// <param name="maxOpenAppointments">Appointments:MaxOpenPerContact: upcoming bookings one customer may hold.</param>
public sealed class LiveTurnEffects(ContextScopes scopes, Guid tenantId, Guid contactId, Guid conversationId, AgentProfile profile,
    string publicBaseUrl, TimeProvider clock, int maxOpenAppointments = 2) : TenantReads(scopes, tenantId, profile, clock), ITurnEffects
{
    public async Task<string> UpdateLeadAsync(LeadUpdate update, CancellationToken ct)
    {
        await using var work = Scopes.ForTenant(TenantId);
        var db = work.Db;
        var contact = await db.Contacts.SingleAsync(c => c.Id == contactId, ct);
        var conversation = await db.Conversations.SingleAsync(c => c.Id == conversationId, ct);
        // The stage first: an unknown name fails the whole call, so the model retries with a real one.
        var target = update.Stage is { } stageText ? await LeadChanges.StageNamedAsync(db, stageText, ct) : null;
        var definitions = await db.CustomFieldDefinitions.AsNoTracking().ToListAsync(ct);
        List<string> changes;
        try
        {
            changes = LeadChanges.Apply(contact, update, Profile.LeadFields, definitions);
        }
        catch (DomainException ex) when (ex.Code.StartsWith("field.", StringComparison.Ordinal))
        {
            // The model gets the rule so it can ask the customer again; nothing of this update is stored.
            return "Error: " + ex.Message;
        }
        if (changes.Count > 0)
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.LeadChanged, null,
                "Lead updated by the agent: " + string.Join(", ", changes), null, Clock.GetUtcNow()));
        if (target is not null && await LeadPipeline.StageMoveAsync(db, contact, target, StageMover.Agent, "update_lead", Clock.GetUtcNow(), ct))
            changes.Insert(0, $"stage {target.Name}");
        if (changes.Count == 0) return "Nothing new to record.";
        await db.SaveChangesAsync(ct);
        return "Recorded: " + string.Join(", ", changes) + ".";
    }

    public async Task<BookingOutcome> BookAsync(DateTimeOffset start, string? name, string? email, string? notes, CancellationToken ct)
    {
        start = start.ToUniversalTime();
        var local = TimeZoneInfo.ConvertTime(start, Profile.Zone);
        await using var work = Scopes.ForTenant(TenantId);
        var db = work.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The customer's row is locked so two conversations of one customer (two channels) cannot both pass the limit.
        // NO KEY UPDATE: the booking itself is saved on another connection, and its foreign-key check (KEY SHARE) must not wait on us.
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM contacts WHERE id = {contactId} FOR NO KEY UPDATE", ct);
        // A retried turn re-asks for the same booking: the customer already has it.
        var existing = await db.Appointments.AnyAsync(a => a.ContactId == contactId && a.StartsAt == start && Appointment.ActiveStatuses.Contains(a.Status), ct);
        if (existing) return new BookingOutcome(true, start, $"Already booked for {local:yyyy-MM-dd HH:mm}.");
        var now = Clock.GetUtcNow();
        var open = await db.Appointments.Where(a => a.ContactId == contactId && Appointment.ActiveStatuses.Contains(a.Status) && a.StartsAt > now)
            .OrderBy(a => a.StartsAt).Select(a => a.StartsAt).ToListAsync(ct);
        if (open.Count >= maxOpenAppointments)
        {
            // One customer (or someone posing as many bookings) must not be able to hold the whole calendar.
            var held = string.Join(", ", open.Select(s => TimeZoneInfo.ConvertTime(s, Profile.Zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
            return new BookingOutcome(false, null, $"Error: not booked. This customer already has {open.Count} upcoming appointments ({held}) and " +
                $"the limit is {maxOpenAppointments}. Offer to change or cancel one of them instead, or hand over to a person.");
        }
        Appointment appointment;
        try
        {
            appointment = await work.Services.GetRequiredService<AppointmentCommands>()
                .BookAsync(TenantId, contactId, start, null, conversationId, name, email, notes, AppointmentActor.Agent, ct);
        }
        catch (SlotUnavailableException ex)
        {
            var others = string.Join(", ", ex.Alternatives.Select(a => TimeZoneInfo.ConvertTime(a, Profile.Zone).ToString("yyyy-MM-dd ddd HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
            return new BookingOutcome(false, null, (ex.Code == AppointmentCommands.SlotTaken
                ? "Error: someone else just took that time." : "Error: that time is not free.") +
                (others.Length > 0 ? $" Free slots nearby (local time): {others}. Offer these." : " Call check_availability and offer free slots."));
        }
        // The contact's lock is held until here, so a second conversation of this customer sees this booking.
        await tx.CommitAsync(ct);
        var minutes = (int)(appointment.EndsAt - appointment.StartsAt).TotalMinutes;
        // The confirmation carries the customer's "add to calendar" links (the .ics file and Google Calendar).
        var tenant = await db.Tenants.AsNoTracking().Where(t => t.Id == TenantId).Select(t => new { t.Name, t.DefaultCulture }).SingleAsync(ct);
        var invites = work.Services.GetRequiredService<AppointmentInvites>();
        return new BookingOutcome(true, start, $"Booked for {local:yyyy-MM-dd HH:mm} ({minutes} min). " +
            $"Include these links in your confirmation so the customer can add it to their calendar: " +
            $"Google Calendar {AppointmentInvites.GoogleUrl(appointment, tenant.Name, tenant.DefaultCulture)} ; " +
            $"calendar file {publicBaseUrl.TrimEnd('/')}{invites.IcsPath(appointment.Id)}");
    }

    public async Task<IReadOnlyList<Appointment>> UpcomingAppointmentsAsync(CancellationToken ct)
    {
        await using var work = Scopes.ForTenant(TenantId);
        var now = Clock.GetUtcNow();
        return await work.Db.Appointments.AsNoTracking()
            .Where(a => a.ContactId == contactId && Appointment.ActiveStatuses.Contains(a.Status) && a.StartsAt > now)
            .OrderBy(a => a.StartsAt).Take(10).ToListAsync(ct);
    }

    /// <summary>
    /// The customer's own appointment the model means: the id it names must be one of theirs (a model fooled into naming
    /// another customer's id gets "not yours", never that appointment); with no id, the only upcoming one.
    /// </summary>
    private async Task<(Appointment? Target, string? Error)> OwnAppointmentAsync(Guid? appointmentId, CancellationToken ct)
    {
        var mine = await UpcomingAppointmentsAsync(ct);
        if (mine.Count == 0) return (null, "Error: this customer has no upcoming appointment. Offer free slots with check_availability.");
        var list = string.Join(", ", mine.Select(a => $"{a.Id} at {Local(a.StartsAt)}"));
        if (appointmentId is { } id)
            return mine.FirstOrDefault(a => a.Id == id) is { } own ? (own, null)
                : (null, $"Error: that is not one of this customer's upcoming appointments. Theirs: {list}.");
        return mine.Count == 1 ? (mine[0], null)
            : (null, $"Error: this customer has several upcoming appointments ({list}). Ask which one and pass its appointment_id.");
    }

    private string Local(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, Profile.Zone).ToString("yyyy-MM-dd ddd HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public async Task<string> RescheduleAsync(Guid? appointmentId, DateTimeOffset start, CancellationToken ct)
    {
        var (target, error) = await OwnAppointmentAsync(appointmentId, ct);
        if (target is null) return error!;
        await using var work = Scopes.ForTenant(TenantId);
        try
        {
            var moved = await work.Services.GetRequiredService<AppointmentCommands>().MoveAsync(TenantId, target.Id, start, null, AppointmentActor.Agent, ct);
            return $"Moved from {Local(target.StartsAt)} to {Local(moved.StartsAt)} (local time). Tell the customer the new time.";
        }
        catch (SlotUnavailableException ex)
        {
            var others = string.Join(", ", ex.Alternatives.Select(Local));
            return "Error: not moved, that time is not free." +
                (others.Length > 0 ? $" Free slots nearby (local time): {others}. Offer these." : " Call check_availability and offer free slots.");
        }
    }

    public async Task<string> CancelAppointmentAsync(Guid? appointmentId, string? reason, CancellationToken ct)
    {
        var (target, error) = await OwnAppointmentAsync(appointmentId, ct);
        if (target is null) return error!;
        await using var work = Scopes.ForTenant(TenantId);
        await work.Services.GetRequiredService<AppointmentCommands>().ChangeStatusAsync(TenantId, target.Id, AppointmentStatus.Cancelled, AppointmentActor.Agent, ct);
        return $"Cancelled the appointment of {Local(target.StartsAt)} (local time). If the customer wants another time, offer free slots with check_availability.";
    }

    public async Task<string> CreatePaymentLinkAsync(Product product, int quantity, decimal? customAmount, CancellationToken ct)
    {
        // A Stripe Checkout when the tenant connected its account, a manual payment otherwise; either way our page is the link.
        await using var work = Scopes.ForTenant(TenantId);
        var payment = await work.Services.GetRequiredService<Payments.PaymentCommands>()
            .RequestAsync(TenantId, contactId, conversationId, product, quantity, customAmount, ct);
        return $"{publicBaseUrl.TrimEnd('/')}/pay/{payment.Id}";
    }
}

/// <summary>The sandbox's effects: real reads, pretend writes — an owner's test never touches real leads or slots.</summary>
public sealed class SandboxTurnEffects(ContextScopes scopes, Guid tenantId, AgentProfile profile, TimeProvider clock)
    : TenantReads(scopes, tenantId, profile, clock), ITurnEffects
{
    public Task<string> UpdateLeadAsync(LeadUpdate update, CancellationToken ct)
    {
        var parts = new List<string>();
        if (update.Stage is { } s) parts.Add($"stage {s}");
        if (update.Name is { } n) parts.Add($"name {n}");
        if (update.Email is { } e) parts.Add($"e-mail {e}");
        if (update.Company is { } c) parts.Add($"company {c}");
        foreach (var (k, v) in update.Fields ?? new Dictionary<string, string>()) parts.Add($"{k} {v}");
        return Task.FromResult(parts.Count == 0 ? "Nothing new to record." : "(sandbox) Would record: " + string.Join(", ", parts) + ".");
    }

    public async Task<BookingOutcome> BookAsync(DateTimeOffset start, string? name, string? email, string? notes, CancellationToken ct)
    {
        var local = TimeZoneInfo.ConvertTime(start, Profile.Zone);
        var slots = await FreeSlotsAsync(DateOnly.FromDateTime(local.DateTime), DateOnly.FromDateTime(local.DateTime), ct);
        return IsFree(start, slots)
            ? new BookingOutcome(true, start, $"(sandbox) Would book {local:yyyy-MM-dd HH:mm} ({Profile.AppointmentMinutes} min).")
            : new BookingOutcome(false, null, "Error: that time is not free. Call check_availability and offer free slots.");
    }

    public Task<string> RescheduleAsync(Guid? appointmentId, DateTimeOffset start, CancellationToken ct) =>
        Task.FromResult($"(sandbox) Would move the customer's upcoming appointment to {TimeZoneInfo.ConvertTime(start, Profile.Zone):yyyy-MM-dd HH:mm}.");

    public Task<string> CancelAppointmentAsync(Guid? appointmentId, string? reason, CancellationToken ct) =>
        Task.FromResult("(sandbox) Would cancel the customer's upcoming appointment.");

    public Task<string> CreatePaymentLinkAsync(Product product, int quantity, decimal? customAmount, CancellationToken ct)
    {
        PaymentLink.Create(TenantId, Guid.Empty, null, product.Name, customAmount ?? product.Price * quantity, product.Currency, Clock.GetUtcNow(),
            quantity: customAmount is null ? quantity : 1); // same validation as live
        return Task.FromResult("https://example.invalid/pay/sandbox");
    }
}

/// <summary>Applies an <c>update_lead</c> to a contact (all but the stage, which moves through the pipeline); returns what changed.</summary>
public static class LeadChanges
{
    /// <summary>The tenant's stage by name (case and accents ignored); an unknown name is a tool error naming the stages.</summary>
    public static async Task<Domain.Revenue.PipelineStage> StageNamedAsync(AppDbContext db, string name, CancellationToken ct)
    {
        var stages = await LeadPipeline.StagesAsync(db, ct);
        return LeadPipeline.Match(stages, name) ?? throw new DomainException("lead.stage",
            $"Unknown stage '{name}'. Use one of: {string.Join(", ", stages.Select(s => s.Name))}.");
    }

    /// <summary>
    /// A custom field with a definition (<paramref name="definitions"/>) must fit its type (a number, an ISO date, one of
    /// the choices) and is stored under the definition's key; other keys are kept as free text, as before definitions.
    /// </summary>
    public static List<string> Apply(Contact contact, LeadUpdate update, IReadOnlyList<string> allowedFields,
        IReadOnlyList<CustomFieldDefinition>? definitions = null)
    {
        // Validate every defined field before touching the contact, so a bad value changes nothing.
        var normalized = new Dictionary<string, string?>();
        foreach (var (key, value) in update.Fields ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(key) || string.IsNullOrWhiteSpace(value)) continue;
            var definition = definitions?.FirstOrDefault(d => string.Equals(d.Key, key.Trim(), StringComparison.OrdinalIgnoreCase)
                                                              || string.Equals(d.Label, key.Trim(), StringComparison.OrdinalIgnoreCase));
            if (definition is not null) normalized[definition.Key] = definition.Normalize(value);
        }
        var changes = new List<string>();
        if (!string.IsNullOrWhiteSpace(update.Name) && update.Name.Trim() != contact.Name) changes.Add($"name {update.Name.Trim()}");
        if (!string.IsNullOrWhiteSpace(update.Email) && update.Email.Trim() != contact.Email)
        {
            if (!update.Email.Contains('@')) throw new DomainException("lead.email", $"'{update.Email}' is not an e-mail address.");
            changes.Add($"e-mail {update.Email.Trim()}");
        }
        if (!string.IsNullOrWhiteSpace(update.Company) && update.Company.Trim() != contact.Company) changes.Add($"company {update.Company.Trim()}");
        contact.UpdateProfile(update.Name, update.Email, update.Company);
        foreach (var (key, value) in update.Fields ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(key) || string.IsNullOrWhiteSpace(value)) continue;
            var defined = definitions?.FirstOrDefault(d => string.Equals(d.Key, key.Trim(), StringComparison.OrdinalIgnoreCase)
                                                           || string.Equals(d.Label, key.Trim(), StringComparison.OrdinalIgnoreCase));
            if (defined is not null)
            {
                var typed = normalized[defined.Key];
                if (typed is null || (contact.Fields.TryGetValue(defined.Key, out var was) && was == typed)) continue;
                contact.SetField(defined.Key, typed);
                changes.Add($"{defined.Key} {typed}");
                continue;
            }
            var name = allowedFields.FirstOrDefault(f => string.Equals(f, key.Trim(), StringComparison.OrdinalIgnoreCase)) ?? key.Trim();
            if (name.Length > 60) continue;
            if (contact.Fields.TryGetValue(name, out var old) && old == value.Trim()) continue;
            contact.SetField(name, value.Trim().Length > 500 ? value.Trim()[..500] : value.Trim());
            changes.Add($"{name} {value.Trim()}");
        }
        return changes;
    }
}
