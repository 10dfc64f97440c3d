//! Which Entra ID built-in roles Microsoft labels PRIVILEGED, by template id. Graph v1.0 does
//! not carry the label (`isPrivileged` on `unifiedRoleDefinition` is beta-only), and offboard
//! reads v1.0 only, so the list is kept here. A built-in role's assignment names its template
//! id as `roleDefinitionId`, which is what is matched.
//!
//! Source: Microsoft Entra built-in roles, "All roles" table, every row with the privileged
//! label (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference,
//! revision of 2026-01-20). A role Microsoft labels later is not protected until it is added
//! here; a policy can protect its holders in the meantime through `protected_groups`.

/// Template ids of the built-in roles labelled privileged, sorted.
pub const PRIVILEGED_ROLE_TEMPLATES: [&str; 29] = [
    "158c047a-c907-4556-b7ef-446551a6b5f7", // Cloud Application Administrator
    "194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
    "25a516ed-2fa0-40ea-a2d0-12923a21473a", // Authentication Extensibility Administrator
    "3a2c62db-5318-420d-8d74-23affee5d9d5", // Intune Administrator
    "422218e4-db15-4ef9-bbe0-8afb41546d79", // Attribute Provisioning Reader
    "4ba39ca4-527c-499a-b93d-d9b492c50246", // Partner Tier1 Support
    "59d46f88-662b-457b-bceb-5c3809e5908f", // Lifecycle Workflows Administrator
    "5d6b6bb7-de71-4623-b4af-96380a352509", // Security Reader
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", // Security Operator
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
    "7698a772-787b-4ac8-901f-60d6b08affd2", // Cloud Device Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", // Privileged Authentication Administrator
    "8329153b-31d0-4727-b945-745eb3bc5f31", // Domain Name Administrator
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", // Hybrid Identity Administrator
    "9360feb5-f418-4baa-8175-e2a00bac4301", // Directory Writers
    "966707d0-3269-4727-9be2-8c3a10f19b9d", // Password Administrator
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", // Application Administrator
    "aaf43236-0c0d-4d5f-883a-6955382ac081", // B2C IEF Keyset Administrator
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", // Conditional Access Administrator
    "be2f45a1-457d-42af-a067-6ec1fa63bc45", // External Identity Provider Administrator
    "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
    "cf1c38e5-3621-4004-a7cb-879624dced7c", // Application Developer
    "db506228-d27e-4b7d-95e5-295956d6615f", // Agent ID Administrator
    "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8", // Partner Tier2 Support
    "e8611ab8-c189-46e8-94e1-60213ab1f814", // Privileged Role Administrator
    "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe", // Attribute Provisioning Administrator
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
    "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
];

/// Whether the role with this definition (template) id is labelled privileged.
pub fn is_privileged(role_definition_id: &str) -> bool {
    let id = role_definition_id.to_ascii_lowercase();
    PRIVILEGED_ROLE_TEMPLATES
        .binary_search(&id.as_str())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_unique_so_the_search_finds_every_entry() {
        assert!(PRIVILEGED_ROLE_TEMPLATES.windows(2).all(|w| w[0] < w[1]));
        assert!(PRIVILEGED_ROLE_TEMPLATES.iter().all(|t| is_privileged(t)));
    }

    #[test]
    fn global_administrator_is_privileged_and_directory_readers_is_not() {
        assert!(is_privileged("62E90394-69F5-4237-9190-012177145E10"));
        assert!(!is_privileged("88d8e3e3-8f55-4a1e-953a-9b9898b8876b"));
        assert!(!is_privileged(""));
    }
}
