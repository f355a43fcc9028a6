namespace Polyglot.Contracts.Auth;

/// <summary>
/// The shortest secrets crud takes: checked where they are read (crud refuses to start) and where
/// they are given (the deploy command refuses to write files that crud would refuse).
/// </summary>
public static class SecretLengths
{
    /// <summary>A secret crud derives a token key from: about 190 bits of entropy when its characters are random letters and digits.</summary>
    public const int Key = 32;

    /// <summary>A service client's secret.</summary>
    public const int ClientSecret = 16;

    /// <summary>A person's password.</summary>
    public const int Password = 12;
}
