using System.Data;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Microsoft.EntityFrameworkCore.Storage;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Hosting;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Leads;

/// <summary>
/// Runs started imports, on every node: claims one nobody holds (a lease renewed each batch, so a stopped node's import
/// is taken over once its lease passes) and continues it after the last stored batch.
/// </summary>
public sealed class ContactImportWorker(ContextScopes scopes, ContactImportRunner runner, ContactImportSignal signal, TimeProvider clock,
    ILogger<ContactImportWorker> log) : WorkLoop(log)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    protected override int Workers => 1;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        Guid id, tenantId;
        await using (var work = scopes.ForSystem("contact import claim"))
        {
            var now = clock.GetUtcNow();
            var until = now + Lease;
#pragma warning disable EF1002 // the only interpolation is an enum name (a literal, so the partial index matches); times are parameters
            var claimed = await work.Db.Database.SqlQueryRaw<Guid>($"""
                UPDATE contact_imports SET lease_until = @until
                WHERE id = (SELECT id FROM contact_imports WHERE status = '{nameof(ContactImportStatus.Running)}' AND (lease_until IS NULL OR lease_until < @now)
                            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id AS "Value"
                """, new NpgsqlParameter("until", until), new NpgsqlParameter("now", now)).ToListAsync(ct);
#pragma warning restore EF1002
            if (claimed.Count == 0) return false;
            id = claimed[0];
            tenantId = await work.Db.ContactImports.Where(i => i.Id == id).Select(i => i.TenantId).SingleAsync(ct);
        }
        await runner.RunAsync(tenantId, id, ct);
        return true;
    }

    protected override Task IdleAsync(CancellationToken ct) => signal.WaitAsync(TimeSpan.FromSeconds(5), ct);
}

/// <summary>Reads an import's stored file as a stream and stores it batch by batch (contacts, errors and progress together).</summary>
public sealed class ContactImportRunner(ContextScopes scopes, IOptions<ImportOptions> options, TimeProvider clock, ILogger<ContactImportRunner> log)
{
    public async Task RunAsync(Guid tenantId, Guid importId, CancellationToken ct)
    {
        ContactImport import;
        Dictionary<string, CustomFieldDefinition> definitions;
        List<PipelineStage> stages;
        await using (var work = scopes.ForTenant(tenantId))
        {
            import = await work.Db.ContactImports.AsNoTracking().SingleAsync(i => i.Id == importId, ct);
            definitions = (await work.Db.CustomFieldDefinitions.AsNoTracking().ToListAsync(ct)).ToDictionary(d => d.Key);
            stages = await LeadPipeline.StagesAsync(work.Db, ct);
        }
        if (import.Status != ContactImportStatus.Running) return;
        var mapping = import.Mapping;
        var skip = import.Processed;
        var phases = new ImportPhases();

        await using var reading = scopes.ForTenant(tenantId);
        await reading.Db.Database.OpenConnectionAsync(ct);
        await using var command = (NpgsqlCommand)reading.Db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "SELECT content FROM contact_import_files WHERE import_id = @id";
        command.Parameters.AddWithValue("id", importId);
        // Sequential access streams the file from the server instead of holding all of it in memory.
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        if (!await reader.ReadAsync(ct))
        {
            await FailAsync(tenantId, importId, "The uploaded file is missing.", ct);
            return;
        }
        await using var file = reader.GetStream(0);
        try
        {
            await using var csv = CsvReader.Create(file, ContactImports.CsvOptions, leaveOpen: true);
            await csv.ReadHeaderAsync(ct);
            var batch = new List<(ImportRow Row, string Raw)>(options.Value.BatchSize);
            var index = 0;
            var readStart = Stopwatch.GetTimestamp();
            while (await csv.ReadAsync())
            {
                if (++index <= skip) continue;
                // Rows as a spreadsheet numbers them: the header is row 1.
                var row = ImportRows.Read((int)csv.RowNumber + 1, column => csv.GetStringOrNull(column), mapping, import.Region, definitions, stages);
                batch.Add((row, row.Valid ? "" : Encoding.UTF8.GetString(csv.RawRecord)));
                if (batch.Count < options.Value.BatchSize) continue;
                phases.Read += Stopwatch.GetElapsedTime(readStart);
                if (!await StoreAsync(tenantId, importId, batch, phases, ct)) return;
                batch.Clear();
                readStart = Stopwatch.GetTimestamp();
            }
            phases.Read += Stopwatch.GetElapsedTime(readStart);
            if (batch.Count > 0 && !await StoreAsync(tenantId, importId, batch, phases, ct)) return;
        }
        catch (CsvFormatException ex)
        {
            log.LogWarning(ex, "Contact import {ImportId} stopped on unreadable CSV", importId);
            await FailAsync(tenantId, importId, "The file could not be read as CSV: " + ex.Message.Split('\n')[0], ct);
            return;
        }
        await using (var work = scopes.ForTenant(tenantId))
        {
            var done = await work.Db.ContactImports.SingleAsync(i => i.Id == importId, ct);
            done.Finish(clock.GetUtcNow());
            await work.Db.ContactImportFiles.Where(f => f.ImportId == importId).ExecuteDeleteAsync(ct);
            await work.Db.SaveChangesAsync(ct);
            log.LogInformation("Contact import {ImportId} done: {Created} created, {Updated} updated, {Skipped} skipped, {Failed} failed; " +
                "time in this run: {Phases}", importId, done.Created, done.Updated, done.Skipped, done.Failed, phases);
        }
    }

    /// <summary>
    /// One batch in one transaction: its new leads, updates, bad rows, events and the import's progress commit together,
    /// so a run stopped anywhere continues after the last committed batch and never stores a lead twice. False when the
    /// import is no longer running (nothing stored).
    /// </summary>
    private async Task<bool> StoreAsync(Guid tenantId, Guid importId, List<(ImportRow Row, string Raw)> batch, ImportPhases phases, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var import = await db.ContactImports.SingleAsync(i => i.Id == importId, ct);
        if (import.Status != ContactImportStatus.Running) return false;
        var now = clock.GetUtcNow();
        var valid = batch.Where(b => b.Row.Valid).Select(b => b.Row).ToList();
        var phones = valid.Where(r => r.Phone is not null).Select(r => r.Phone!).Distinct().ToList();
        var emails = valid.Where(r => r.Email is not null).SelectMany(r => new[] { r.Email!, r.Email!.ToLowerInvariant() }).Distinct().ToList();
        var update = import.Duplicates == DuplicatePolicy.Update;
        // Two lookups, each on its own index ((tenant_id, phone_e164) and (tenant_id, email)); an OR of both scans the tenant.
        var contacts = update ? db.Contacts : db.Contacts.AsNoTracking();
        var existing = new List<Contact>();
        if (phones.Count > 0) existing.AddRange(await contacts.Where(c => c.PhoneE164 != null && phones.Contains(c.PhoneE164)).ToListAsync(ct));
        if (emails.Count > 0) existing.AddRange(await contacts.Where(c => c.Email != null && emails.Contains(c.Email)).ToListAsync(ct));
        phases.Lookup += Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        var byPhone = new Dictionary<string, Contact>();
        var byEmail = new Dictionary<string, Contact>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in existing.OrderBy(c => c.CreatedAt))
        {
            if (c.PhoneE164 is not null) byPhone.TryAdd(c.PhoneE164, c);
            if (c.Email is not null) byEmail.TryAdd(c.Email, c);
        }
        // New leads are not tracked: they go in with one set-based insert below (a later row of this batch that matches one
        // updates the object before it is written). Existing leads matched for update are tracked and saved by EF.
        var added = new List<Contact>();
        int created = 0, updated = 0, skipped = 0, failed = 0;
        foreach (var (row, raw) in batch)
        {
            if (!row.Valid)
            {
                failed++;
                db.ContactImportErrors.Add(ContactImportError.For(import, row.Row, row.ErrorCode!, row.ErrorArgs, row.Error!, raw));
                continue;
            }
            var match = (row.Phone is not null ? byPhone.GetValueOrDefault(row.Phone) : null)
                        ?? (row.Email is not null ? byEmail.GetValueOrDefault(row.Email) : null);
            if (match is not null && !update)
            {
                skipped++;
                continue;
            }
            var contact = match ?? Contact.Create(tenantId, row.Name, row.Phone, now);
            if (match is null)
            {
                added.Add(contact);
                db.Raise(new LeadCreated(tenantId, contact.Id, "import"));
                created++;
            }
            else
            {
                if (row.Name is not null) contact.EditStandardField("name", row.Name);
                if (contact.PhoneE164 is null && row.Phone is not null) contact.SetPhone(row.Phone);
                updated++;
            }
            contact.UpdateProfile(null, row.Email, row.Company);
            foreach (var (key, value) in row.Fields) contact.SetField(key, value);
            if (row.Stage is { } stage)
            {
                // A new lead starts in the file's stage; an existing one moves through the pipeline (history, timeline, event).
                if (match is null) contact.MoveTo(stage.Id);
                else await LeadPipeline.StageMoveAsync(db, contact, stage, StageMover.Import, null, now, ct);
            }
            if (contact.PhoneE164 is not null) byPhone.TryAdd(contact.PhoneE164, contact);
            if (contact.Email is not null) byEmail.TryAdd(contact.Email, contact);
        }
        phases.Apply += Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        // First the new leads (rows saved next may point at them: a stage move's history), then everything EF tracks.
        await InsertAsync(db, added, ct);
        import.Advance(batch.Count, created, updated, skipped, failed);
        import.Hold(clock.GetUtcNow() + ContactImportWorker.Lease);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        phases.Save += Stopwatch.GetElapsedTime(started);
        return true;
    }

    /// <summary>
    /// The batch's new leads in one <c>INSERT … SELECT FROM unnest(…)</c> (one statement and one plan instead of one
    /// per lead), as the serving role: row-level security checks every row. A lead without a stage from the file gets
    /// the workspace's first open stage from the <c>contacts_default_stage</c> trigger, like every other new contact,
    /// and its search terms come from the statement-level <c>contacts_search_terms_insert</c> trigger.
    /// </summary>
    private static async Task InsertAsync(AppDbContext db, List<Contact> added, CancellationToken ct)
    {
        if (added.Count == 0) return;
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = """
            INSERT INTO contacts (id, tenant_id, name, phone_e164, email, company, stage_id, tags, score, temperature, bot_enabled, created_at, fields)
            SELECT r.id, r.tenant_id, r.name, r.phone_e164, r.email, r.company, r.stage_id, '{}', r.score, r.temperature, r.bot_enabled, r.created_at, r.fields
            FROM unnest(@id, @tenant_id, @name, @phone_e164, @email, @company, @stage_id, @score, @temperature, @bot_enabled, @created_at, @fields)
                AS r(id, tenant_id, name, phone_e164, email, company, stage_id, score, temperature, bot_enabled, created_at, fields)
            """;
        command.Parameters.Add(Column("id", NpgsqlDbType.Uuid, added.Select(c => c.Id)));
        command.Parameters.Add(Column("tenant_id", NpgsqlDbType.Uuid, added.Select(c => c.TenantId)));
        command.Parameters.Add(Column("name", NpgsqlDbType.Text, added.Select(c => c.Name)));
        command.Parameters.Add(Column("phone_e164", NpgsqlDbType.Text, added.Select(c => c.PhoneE164)));
        command.Parameters.Add(Column("email", NpgsqlDbType.Text, added.Select(c => c.Email)));
        command.Parameters.Add(Column("company", NpgsqlDbType.Text, added.Select(c => c.Company)));
        command.Parameters.Add(Column("stage_id", NpgsqlDbType.Uuid, added.Select(c => c.StageId == Guid.Empty ? (Guid?)null : c.StageId)));
        command.Parameters.Add(Column("score", NpgsqlDbType.Integer, added.Select(c => c.Score)));
        command.Parameters.Add(Column("temperature", NpgsqlDbType.Text, added.Select(c => c.Temperature.ToString())));
        command.Parameters.Add(Column("bot_enabled", NpgsqlDbType.Boolean, added.Select(c => c.BotEnabled)));
        command.Parameters.Add(Column("created_at", NpgsqlDbType.TimestampTz, added.Select(c => c.CreatedAt)));
        // The same JSON the model's value converter writes for Contact.Fields.
        command.Parameters.Add(Column("fields", NpgsqlDbType.Jsonb, added.Select(c => JsonSerializer.Serialize(c.Fields.ToDictionary(), (JsonSerializerOptions?)null))));
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlParameter Column<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };

    private async Task FailAsync(Guid tenantId, Guid importId, string error, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var import = await work.Db.ContactImports.SingleAsync(i => i.Id == importId, ct);
        import.Fail(error, clock.GetUtcNow());
        await work.Db.SaveChangesAsync(ct);
    }
}

/// <summary>Where a run's time went (logged when it finishes): reading and checking rows, duplicate lookups, building the batch, storing it.</summary>
public sealed class ImportPhases
{
    public TimeSpan Read, Lookup, Apply, Save;

    public override string ToString() =>
        $"read+validate {Read.TotalSeconds:N1} s, lookup {Lookup.TotalSeconds:N1} s, apply {Apply.TotalSeconds:N1} s, store {Save.TotalSeconds:N1} s";
}
