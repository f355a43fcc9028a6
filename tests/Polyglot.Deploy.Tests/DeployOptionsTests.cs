namespace Polyglot.Deploy.Tests;

/// <summary>The values a deploy folder is written with: the parameters given, and the ones the app model says to generate.</summary>
public sealed class DeployOptionsTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    [Fact]
    public void EachRunGeneratesEveryParameterNotGivenAnewAtTheLengthTheAppModelAsks()
    {
        var generated = fixture.Model.Resources.Values.Where(r => r.IsParameter && r.GenerateLength is not null).ToList();
        var given = new Dictionary<string, string> { [generated[0].Name] = "given-by-the-user" };
        var options = fixture.Options with { Parameters = given };

        var (first, second) = (options.CompleteParameters(fixture.Model).Parameters, options.CompleteParameters(fixture.Model).Parameters);

        Assert.Contains(generated, p => p.Name == "auth-signing-key");
        Assert.Equal("given-by-the-user", first[generated[0].Name]);
        Assert.All(generated.Skip(1), parameter =>
        {
            Assert.True(first[parameter.Name].Length >= parameter.GenerateLength, parameter.Name);
            Assert.NotEqual(first[parameter.Name], second[parameter.Name]);
        });
        Assert.Equal(generated.Count - 1, generated.Skip(1).Select(p => first[p.Name]).Distinct().Count());
    }
}
