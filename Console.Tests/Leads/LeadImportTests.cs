using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Leads;
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
}
