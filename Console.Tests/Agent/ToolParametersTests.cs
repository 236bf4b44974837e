using System.Text.Json;
using System.Text.Json.Nodes;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Tools;

namespace OperatorConsole.Tests.Agent;

public class ToolParametersTests
{
    [Fact]
    public void The_builder_writes_the_schema_the_api_stores_and_reads_it_back_into_the_same_rows()
    {
        List<ToolParameter> rows =
        [
            new() { Name = "sku", Type = "string", Description = "Código del producto", Required = true, EnumValues = "A1, B2" },
            new() { Name = "qty", Type = "integer", Description = "Cantidad", EnumValues = "1, 2, 5" },
            new() { Name = "price", Type = "number" },
            new() { Name = "urgent", Type = "boolean", Required = true },
        ];

        var schema = ToolParameters.Build(rows);

        Assert.Null(ToolSchemas.Problem(schema));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"type":"object","properties":{
              "sku":{"type":"string","description":"Código del producto","enum":["A1","B2"]},
              "qty":{"type":"integer","description":"Cantidad","enum":[1,2,5]},
              "price":{"type":"number"},
              "urgent":{"type":"boolean"}},
             "required":["sku","urgent"]}
            """), JsonNode.Parse(schema)), schema);
        var back = ToolParameters.Read(schema)!;
        Assert.Equal(rows.Select(r => (r.Name, r.Type, r.Description, r.Required, r.EnumValues)),
            back.Select(r => (r.Name, r.Type, r.Description, r.Required, r.EnumValues)));
        Assert.Equal(schema, ToolParameters.Build(back));
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"when":{"type":"string","format":"date"}}}""")]
    [InlineData("""{"type":"object","properties":{"items":{"type":"array","items":{"type":"string"}}}}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","enum":["x,y"]}}}""")]
    [InlineData("""{"type":"object","required":["ghost"]}""")]
    public void A_schema_the_builder_cannot_show_exactly_stays_raw_json(string schema) => Assert.Null(ToolParameters.Read(schema));

    [Fact]
    public void Sample_arguments_are_typed_from_the_rows()
    {
        var args = ToolParameters.Arguments([new ToolParameter { Name = "qty", Type = "integer" }, new ToolParameter { Name = "ok", Type = "boolean" },
            new ToolParameter { Name = "sku", Type = "string" }, new ToolParameter { Name = "empty", Type = "string" }],
            new Dictionary<string, string?> { ["qty"] = "3", ["ok"] = "true", ["sku"] = "007", ["empty"] = " " });
        Assert.Equal("""{"qty":3,"ok":true,"sku":"007"}""", JsonSerializer.Serialize(args));
    }

    [Fact]
    public void Quick_reply_variables_are_filled_and_unknown_ones_are_left_as_written()
    {
        var text = CannedReplyVariables.Fill("Hola {{contact_first_name}} ({{ contact_name }}), soy {{agent_name}} de {{business_name}}. {{contact_phone}} {{otra}}",
            "Ana María López", "+525512345678", "Clínica Sonrisa", "Luis");
        Assert.Equal("Hola Ana (Ana María López), soy Luis de Clínica Sonrisa. +525512345678 {{otra}}", text);
        Assert.Equal("Hola , bienvenido", CannedReplyVariables.Fill("Hola {{contact_first_name}}, bienvenido", null, null, null, null));
    }
}
