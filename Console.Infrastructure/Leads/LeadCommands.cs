using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Leads;

/// <summary>What an operator changes on a lead from its page: one field at a time, and merging two leads into one.</summary>
public static class LeadCommands
{
    /// <summary>Standard fields, in the order the lead page shows them.</summary>
    public static readonly IReadOnlyList<string> StandardFields = ["name", "phone", "email", "company"];

    public const string CustomPrefix = "field:";

    // Derived rows: the contacts trigger rebuilds them, and the duplicate's go with it.
    private static readonly HashSet<string> NotMoved = ["contact_terms"];

    /// <summary>
    /// Sets one field (<c>name</c>, <c>phone</c>, <c>email</c>, <c>company</c> or <c>field:{key}</c>) and returns the stored
    /// value. A value that breaks the field's rule throws a <see cref="DomainException"/> and nothing is stored.
    /// </summary>
    public static async Task<string?> EditFieldAsync(AppDbContext db, Guid contactId, string field, string? value, CancellationToken ct = default)
    {
        var contact = await db.Contacts.SingleOrDefaultAsync(c => c.Id == contactId, ct)
            ?? throw new DomainException("lead.not_found", "This lead no longer exists.");
        string? stored;
        if (field.StartsWith(CustomPrefix, StringComparison.Ordinal))
        {
            var key = field[CustomPrefix.Length..];
            var definition = await db.CustomFieldDefinitions.AsNoTracking().SingleOrDefaultAsync(d => d.Key == key, ct);
            stored = definition is not null ? definition.Normalize(value) : string.IsNullOrWhiteSpace(value) ? null : value.Trim();
            contact.SetField(key, stored);
        }
        else
        {
            contact.EditStandardField(field, value);
            stored = field switch { "name" => contact.Name, "phone" => contact.PhoneE164, "email" => contact.Email, _ => contact.Company };
        }
        await RaiseLeadChangedAsync(db, contact.TenantId, contact.Id, ct);
        await db.SaveChangesAsync(ct);
        return stored;
    }

    /// <summary>
    /// Merges <paramref name="duplicateId"/> into <paramref name="survivorId"/> in one transaction: every row that points at
    /// the duplicate (identities, conversations and their messages and notes, appointments, payments, score history, …)
    /// moves to the survivor, the survivor keeps its own values and takes the duplicate's where it has none, and the
    /// duplicate is deleted, leaving a <see cref="ContactMerge"/> so its old address still leads somewhere.
    /// </summary>
    public static async Task MergeAsync(AppDbContext db, Guid survivorId, Guid duplicateId, string by, DateTimeOffset now, CancellationToken ct = default)
    {
        if (survivorId == duplicateId) throw new DomainException("lead.merge_same", "Cannot merge a lead into itself.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Both rows locked in id order: two operators merging the same pair (either way round) wait for each other, and
        // the second finds one of them gone instead of both "winning". Another tenant's id is invisible here (RLS).
        Guid[] pair = [.. new[] { survivorId, duplicateId }.Order()];
        var locked = await db.Database.SqlQuery<Guid>($"SELECT id AS \"Value\" FROM contacts WHERE id = ANY({pair}) ORDER BY id FOR UPDATE")
            .ToListAsync(ct);
        if (locked.Count < 2) throw new DomainException("lead.merge_gone", "One of these leads no longer exists (already merged?).");

        var survivor = await db.Contacts.SingleAsync(c => c.Id == survivorId, ct);
        var duplicate = await db.Contacts.SingleAsync(c => c.Id == duplicateId, ct);
        survivor.AbsorbProfile(duplicate);

        // Every table with a contact_id column, read from the catalogue so tables added later (payments, …) move too.
        var tables = await db.Database.SqlQuery<string>($"""
            SELECT table_name::text AS "Value" FROM information_schema.columns
            WHERE table_schema = current_schema() AND column_name = 'contact_id' AND table_name <> 'contacts'
            """).ToListAsync(ct);
        foreach (var table in tables.Where(t => !NotMoved.Contains(t)))
        {
#pragma warning disable EF1002 // the table name comes from the catalogue, the values are parameters
            await db.Database.ExecuteSqlRawAsync($"UPDATE \"{table.Replace("\"", "\"\"")}\" SET contact_id = {{0}} WHERE contact_id = {{1}}",
                [survivorId, duplicateId], ct);
#pragma warning restore EF1002
        }
        await db.ContactMerges.Where(m => m.SurvivorId == duplicateId).ExecuteUpdateAsync(s => s.SetProperty(m => m.SurvivorId, survivorId), ct);
        db.ContactMerges.Add(ContactMerge.Record(survivor, duplicate, by, now));
        db.Contacts.Remove(duplicate);
        await RaiseLeadChangedAsync(db, survivor.TenantId, survivor.Id, ct);
        // The duplicate's phone / e-mail move over only after its row is gone (saved in this order by EF: delete, then update).
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Where a merged lead went, or null when the id was never merged.</summary>
    public static Task<ContactMerge?> FindMergeAsync(AppDbContext db, Guid contactId, CancellationToken ct = default) =>
        db.ContactMerges.AsNoTracking().SingleOrDefaultAsync(m => m.MergedId == contactId, ct);

    // Open inbox screens of this lead's conversations refresh their lead panel.
    private static async Task RaiseLeadChangedAsync(AppDbContext db, Guid tenantId, Guid contactId, CancellationToken ct)
    {
        var conversations = await db.Conversations.AsNoTracking().Where(c => c.ContactId == contactId).Select(c => c.Id).ToListAsync(ct);
        foreach (var id in conversations) db.Raise(new LeadChanged(tenantId, id, contactId));
    }
}
