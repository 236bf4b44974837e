using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Infrastructure.Leads;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Webhooks;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Leads;

/// <summary>CSV import over the REST API, run by the background worker against real PostgreSQL.</summary>
public class LeadImportTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private async Task<(Guid Tenant, HttpClient Api)> TenantWithKeyAsync()
    {
        var tenant = await app.TenantAsync();
        var platform = Client(ConsoleAppFactory.PlatformKey);
        var response = await platform.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/api-keys", new { name = "crm", scopes = new[] { "read", "write" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var key = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        return (tenant.Id, Client(key));
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient api, Guid tenant, string csv, string? duplicates = null, string? mapping = null,
        string fileName = "leads.csv", byte[]? raw = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(raw ?? Encoding.UTF8.GetBytes(csv));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", fileName);
        if (duplicates is not null) form.Add(new StringContent(duplicates), "duplicates");
        if (mapping is not null) form.Add(new StringContent(mapping), "mapping");
        return await api.PostAsync($"/api/v1/tenants/{tenant}/contacts/import", form);
    }

    private static async Task<JsonElement> FinishedAsync(HttpClient api, Guid tenant, HttpResponseMessage started)
    {
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        return await Eventually.GetAsync(
            async () => await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant}/contacts/imports/{id}"),
            s => s.GetProperty("status").GetString() != "running", "the import to finish", TimeSpan.FromSeconds(30));
    }

    private async Task<List<Contact>> ContactsAsync(Guid tenant)
    {
        await using var work = app.Scopes.ForTenant(tenant);
        return await work.Db.Contacts.AsNoTracking().ToListAsync();
    }

    [Fact]
    public void Mapping_is_guessed_from_spanish_and_english_headers_and_custom_field_labels()
    {
        var budget = CustomFieldDefinition.Create(Guid.NewGuid(), "presupuesto", "Presupuesto mensual", CustomFieldType.Number, null, 1, DateTimeOffset.UtcNow);
        var spanish = ImportMapping.Guess(["Nombre", "Teléfono", "Correo electrónico", "Empresa", "Etapa", "Presupuesto mensual", "Notas"], [budget]);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Nombre"] = "name", ["Teléfono"] = "phone", ["Correo electrónico"] = "email", ["Empresa"] = "company", ["Etapa"] = "stage",
            ["Presupuesto mensual"] = "field:presupuesto",
        }, spanish);
        var english = ImportMapping.Guess(["Full name", "WhatsApp", "E-mail", "Company", "Stage", "presupuesto"], [budget]);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Full name"] = "name", ["WhatsApp"] = "phone", ["E-mail"] = "email", ["Company"] = "company", ["Stage"] = "stage",
            ["presupuesto"] = "field:presupuesto",
        }, english);
        Assert.Equal("phone", ImportMapping.Guess(["celular"], [])["celular"]);
        Assert.Equal("phone", ImportMapping.Guess(["Telefono"], [])["Telefono"]);
    }

    [Fact]
    public async Task Phones_become_E164_in_the_tenant_region_and_bad_rows_are_reported_with_their_reason()
    {
        var (tenant, api) = await TenantWithKeyAsync();
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            work.Db.CustomFieldDefinitions.Add(CustomFieldDefinition.Create(tenant, "presupuesto", "Presupuesto", CustomFieldType.Number, null, 1,
                DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        // Spanish Excel: ';' between cells.
        var csv = """
            Nombre;Teléfono;Correo;Empresa;Etapa;Presupuesto
            Ana López;55 1234 5678;ana@example.com;Dental Ana;calificado;1500
            Luis Pérez;+57 300 123 4567;;;;
            Mal Teléfono;12ab;;;;
            Mal Correo;;luis@@example;;;
            Sin Contacto;;;;;
            Mal Número;55 9999 0000;;;;mucho
            """;
        var status = await FinishedAsync(api, tenant, await UploadAsync(api, tenant, csv));

        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(6, status.GetProperty("total").GetInt32());
        Assert.Equal(6, status.GetProperty("processed").GetInt32());
        Assert.Equal(2, status.GetProperty("created").GetInt32());
        var errors = status.GetProperty("errors").EnumerateArray().Select(e => (Row: e.GetProperty("row").GetInt32(), Reason: e.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal([4, 5, 6, 7], errors.Select(e => e.Row));
        Assert.Contains("12ab", errors[0].Reason);
        Assert.Contains("e-mail", errors[1].Reason);
        Assert.Contains("phone or an e-mail", errors[2].Reason);
        Assert.Contains("not a number", errors[3].Reason);

        var contacts = await ContactsAsync(tenant);
        var ana = Assert.Single(contacts, c => c.Name == "Ana López");
        Assert.Equal("+525512345678", ana.PhoneE164);
        Assert.Equal("ana@example.com", ana.Email);
        Assert.Equal("Dental Ana", ana.Company);
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            // "calificado" in the file is the workspace's own stage; a row without a stage starts in the first open one.
            var stageNames = await work.Db.PipelineStages.ToDictionaryAsync(st => st.Id, st => st.Name);
            Assert.Equal("Calificado", stageNames[ana.StageId]);
            Assert.Equal("Nuevo", stageNames[contacts.Single(c => c.Name == "Luis Pérez").StageId]);
        }
        Assert.Equal("1500", ana.Fields["presupuesto"]);
        Assert.Equal("+573001234567", Assert.Single(contacts, c => c.Name == "Luis Pérez").PhoneE164);

        // The bad rows download as CSV with the row as it was.
        var download = await api.GetStringAsync($"/api/v1/tenants/{tenant}/contacts/imports/{status.GetProperty("id").GetGuid()}/errors.csv");
        var lines = download.TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Contains("Mal Teléfono;12ab", lines[1]);
    }

    [Fact]
    public async Task A_row_matching_an_existing_lead_by_phone_or_email_updates_it_when_the_user_chose_update()
    {
        var (tenant, api) = await TenantWithKeyAsync();
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            var existing = Contact.Create(tenant, "María", "+525511112222", DateTimeOffset.UtcNow);
            var byEmail = Contact.Create(tenant, "Pedro", null, DateTimeOffset.UtcNow);
            byEmail.UpdateProfile(null, "pedro@example.com", null);
            work.Db.Contacts.AddRange(existing, byEmail);
            await work.Db.SaveChangesAsync();
        }
        var csv = "name,phone,email,company\nMaría González,5511112222,,Sonrisa\nPedro Ruiz,,PEDRO@example.com,Taller\nNueva,5533334444,,\n";
        var status = await FinishedAsync(api, tenant, await UploadAsync(api, tenant, csv, duplicates: "update"));

        Assert.Equal(1, status.GetProperty("created").GetInt32());
        Assert.Equal(2, status.GetProperty("updated").GetInt32());
        var contacts = await ContactsAsync(tenant);
        Assert.Equal(3, contacts.Count);
        var maria = Assert.Single(contacts, c => c.PhoneE164 == "+525511112222");
        Assert.Equal(("María González", "Sonrisa"), (maria.Name, maria.Company));
        Assert.Equal("Taller", Assert.Single(contacts, c => c.Email == "pedro@example.com").Company);
    }

    [Fact]
    public async Task A_row_matching_an_existing_lead_is_skipped_when_the_user_chose_skip_and_creates_no_duplicate()
    {
        var (tenant, api) = await TenantWithKeyAsync();
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            work.Db.Contacts.Add(Contact.Create(tenant, "María", "+525511112222", DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        // The same new person twice in the file is one lead too.
        var csv = "nombre,celular,empresa\nMaría González,55 1111 2222,Sonrisa\nNueva,5533334444,\nNueva otra vez,+52 55 3333 4444,\n";
        var status = await FinishedAsync(api, tenant, await UploadAsync(api, tenant, csv, duplicates: "skip"));

        Assert.Equal((1, 0, 2), (status.GetProperty("created").GetInt32(), status.GetProperty("updated").GetInt32(), status.GetProperty("skipped").GetInt32()));
        var contacts = await ContactsAsync(tenant);
        Assert.Equal(2, contacts.Count);
        var maria = Assert.Single(contacts, c => c.PhoneE164 == "+525511112222");
        Assert.Equal(("María", null), (maria.Name, maria.Company));
    }

    [Fact]
    public async Task An_import_belongs_to_its_tenant_another_tenant_can_neither_read_it_nor_receive_its_leads()
    {
        var (tenantA, apiA) = await TenantWithKeyAsync();
        var (tenantB, apiB) = await TenantWithKeyAsync();
        var status = await FinishedAsync(apiA, tenantA, await UploadAsync(apiA, tenantA, "phone\n5512121212\n"));
        var id = status.GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NotFound, (await apiB.GetAsync($"/api/v1/tenants/{tenantB}/contacts/imports/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.GetAsync($"/api/v1/tenants/{tenantB}/contacts/imports/{id}/errors.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await apiB.GetAsync($"/api/v1/tenants/{tenantA}/contacts/imports/{id}")).StatusCode);
        Assert.Single(await ContactsAsync(tenantA));
        Assert.Empty(await ContactsAsync(tenantB));
    }

    [Fact]
    public async Task A_file_that_is_not_a_csv_is_refused_with_a_clear_message_and_nothing_starts()
    {
        var (tenant, api) = await TenantWithKeyAsync();
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52];
        var response = await UploadAsync(api, tenant, "", fileName: "photo.png", raw: png);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("import.not_csv", problem.GetProperty("code").GetString());
        Assert.Contains("not a CSV", problem.GetProperty("detail").GetString());

        var noContact = await UploadAsync(api, tenant, "nombre,ciudad\nAna,Puebla\n");
        Assert.Equal("import.no_contact_column", (await noContact.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        await using var work = app.Scopes.ForTenant(tenant);
        Assert.False(await work.Db.ContactImports.AnyAsync());
    }

    [Fact]
    public async Task Duplicates_inside_one_batch_are_one_lead_with_the_later_rows_values_searchable_and_announced_once()
    {
        var (tenant, api) = await TenantWithKeyAsync();
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            work.Db.OutboundWebhooks.Add(OutboundWebhook.Create(tenant, new Uri("https://hooks.example.test/crm"), ["lead.created"],
                app.Services.GetRequiredService<SecretProtector>().Protect("whsec-import"), DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        await app.Services.GetRequiredService<OutboundWebhookSubscriptions>().ReloadAsync();
        // Both pairs sit in one batch: the second row of each finds the lead the first one is creating (by phone, by e-mail).
        var csv = "name,phone,email,company\nAna,5512340001,,Uno\nAna María,55 1234 0001,ana@example.com,Dos\n" +
                  "Beto,,beto@example.com,\nBeto Ruiz,,BETO@example.com,Tres\n";
        var status = await FinishedAsync(api, tenant, await UploadAsync(api, tenant, csv, duplicates: "update"));

        Assert.Equal((2, 2, 0), (status.GetProperty("created").GetInt32(), status.GetProperty("updated").GetInt32(), status.GetProperty("skipped").GetInt32()));
        var contacts = await ContactsAsync(tenant);
        Assert.Equal(2, contacts.Count);
        var ana = Assert.Single(contacts, c => c.PhoneE164 == "+525512340001");
        Assert.Equal(("Ana María", "ana@example.com", "Dos"), (ana.Name, ana.Email, ana.Company));
        var beto = Assert.Single(contacts, c => c.Email == "beto@example.com");
        Assert.Equal(("Beto Ruiz", "Tres"), (beto.Name, beto.Company));
        await using var db = app.Scopes.ForTenant(tenant);
        // New leads land in the first open stage and are found by the inbox and leads search (name words, phone digits).
        var stages = await db.Db.PipelineStages.ToDictionaryAsync(s => s.Id, s => s.Name);
        Assert.All(contacts, c => Assert.Equal("Nuevo", stages[c.StageId]));
        var terms = await db.Db.Database.SqlQuery<string>($"SELECT term AS \"Value\" FROM contact_terms WHERE contact_id = {ana.Id}").ToListAsync();
        Assert.Contains("maria", terms);
        Assert.Contains("0001", terms);
        Assert.Contains("ruiz", await db.Db.Database.SqlQuery<string>($"SELECT term AS \"Value\" FROM contact_terms WHERE contact_id = {beto.Id}").ToListAsync());
        // One lead.created per new lead for the tenant's CRM, in the batch's transaction.
        var announced = await db.Db.OutboundWebhookEvents.Where(e => e.Type == "lead.created").Select(e => e.Body).ToListAsync();
        Assert.Equal(2, announced.Count);
        Assert.Equal(contacts.Select(c => c.Id).Order(),
            announced.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("data").GetProperty("contactId").GetGuid()).Order());
    }

    [Fact]
    public async Task A_run_stopped_inside_a_batch_continues_after_the_last_stored_batch_and_stores_each_lead_once()
    {
        var tenant = (await app.TenantAsync()).Id;
        // 25 rows in batches of 10. Row 15 repeats row 3's phone (an earlier batch), row 22 row 21's (the same batch) and
        // row 24 row 6's e-mail without a phone: 22 leads.
        var csv = new StringBuilder("nombre,telefono,correo\n");
        for (var i = 0; i < 25; i++)
        {
            var phone = i switch { 14 => "5510000002", 21 => "5510000020", 23 => "", _ => $"55100000{i:D2}" };
            csv.Append($"Cliente {i},{phone},cliente{(i == 23 ? 5 : i)}@example.com\n");
        }
        var mapping = new Dictionary<string, string> { ["nombre"] = "name", ["telefono"] = "phone", ["correo"] = "email" };
        Guid id;
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            var import = ContactImport.Start(tenant, "crash.csv", mapping, DuplicatePolicy.Skip, "MX", 25, "test", DateTimeOffset.UtcNow);
            // Held by this test's runs: the app's own worker leaves it alone.
            import.Hold(DateTimeOffset.UtcNow.AddHours(1));
            work.Db.ContactImports.Add(import);
            work.Db.ContactImportFiles.Add(ContactImportFile.For(import, Encoding.UTF8.GetBytes(csv.ToString())));
            await work.Db.SaveChangesAsync();
            id = import.Id;
        }
        var options = Options.Create(new ImportOptions { BatchSize = 10 });
        // The node dies in the second batch after its leads were written, before the commit.
        var dying = new ContactImportRunner(app.Scopes, options, new DyingClock(dieOnCall: 4), NullLogger<ContactImportRunner>.Instance);
        await Assert.ThrowsAsync<InvalidOperationException>(() => dying.RunAsync(tenant, id, CancellationToken.None));
        await using (var work = app.Scopes.ForTenant(tenant))
        {
            var stopped = await work.Db.ContactImports.AsNoTracking().SingleAsync(i => i.Id == id);
            Assert.Equal((ContactImportStatus.Running, 10, 10), (stopped.Status, stopped.Processed, stopped.Created));
            Assert.Equal(10, await work.Db.Contacts.CountAsync());
        }

        await new ContactImportRunner(app.Scopes, options, TimeProvider.System, NullLogger<ContactImportRunner>.Instance).RunAsync(tenant, id, CancellationToken.None);

        await using (var work = app.Scopes.ForTenant(tenant))
        {
            var done = await work.Db.ContactImports.AsNoTracking().SingleAsync(i => i.Id == id);
            Assert.Equal((ContactImportStatus.Done, 25, 22, 3, 0), (done.Status, done.Processed, done.Created, done.Skipped, done.Failed));
        }
        var contacts = await ContactsAsync(tenant);
        Assert.Equal(22, contacts.Count);
        Assert.Equal(22, contacts.Select(c => c.Email).Distinct().Count());
        Assert.Equal(22, contacts.Where(c => c.PhoneE164 is not null).Select(c => c.PhoneE164).Distinct().Count());
    }

    /// <summary>An hour ahead (leases stay out of the app worker's reach); throws on one call, as a node dying there would stop.</summary>
    private sealed class DyingClock(int dieOnCall) : TimeProvider
    {
        private int _calls;

        public override DateTimeOffset GetUtcNow() => Interlocked.Increment(ref _calls) == dieOnCall
            ? throw new InvalidOperationException("The node stopped.")
            : base.GetUtcNow().AddHours(1);
    }
}
