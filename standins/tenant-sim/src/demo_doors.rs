//! The demo tenant's doors that stay open after the usual steps (issue 16): delegated
//! permission grants a user consented to, and files shared by links from a OneDrive.

use crate::model::{DriveItem, OAuth2PermissionGrant, ServicePrincipal, SharingLink, Tenant};

use super::demo::ids::{ADELE, DRIVE_ADELE, MEGAN};

/// Ids of the objects this module adds.
pub mod ids {
    /// Microsoft Graph's service principal in the tenant (the API the grants are for).
    pub const SP_MICROSOFT_GRAPH: &str = "0b2f5a7e-7c4d-4e3a-9a1b-2c3d4e5f6a7b";
    /// A third-party app Adele consented to.
    pub const SP_EXPENSE_BUDDY: &str = "7a1c3e5f-9b2d-4f6a-8c0e-1d3f5a7b9c2e";
    /// Adele's consent to Expense Buddy (read her mail and files, keep access).
    pub const GRANT_ADELE_EXPENSE_BUDDY: &str = "Xl4cehudL0-MDh0_WnucLn5aL5cIx4Gn-XbDvlRPRMbP5E8";
    /// Admin consent for every user (not the leaver's: it stays).
    pub const GRANT_ALL_PRINCIPALS: &str = "Xl4cehudL0-MDh0_WnucLn5aL5cIx4Gn-XbDvlRPRMbAll1";
    /// Adele's folder `/Budget`, shared with anyone by a view link.
    pub const ITEM_BUDGET: &str = "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K";
    /// `/Budget/Q3.xlsx`, which inherits the folder's link.
    pub const ITEM_Q3: &str = "01BYE5RZ4KQ5X2VZ7HXBF2Q3ZHXRFEXLSX";
    /// `/Roadmap.pptx`, shared with the organisation (edit) and with Megan (view).
    pub const ITEM_ROADMAP: &str = "01BYE5RZ2ROADMAPPPTXDLKJ5NVIKDAPM2";
    /// `/Notes.docx`, shared with nobody.
    pub const ITEM_NOTES: &str = "01BYE5RZ7NOTESDOCXA3VJ2XQHZKWPLZF4";
    /// The anyone-with-the-link view link on `/Budget`.
    pub const LINK_BUDGET_ANYONE: &str = "aTowIy5mfG1lbWJlcnNoaXB8YnVkZ2V0LWFueW9uZQ";
    /// The organisation-wide edit link on `/Roadmap.pptx`.
    pub const LINK_ROADMAP_ORG: &str = "aTowIy5mfG1lbWJlcnNoaXB8cm9hZG1hcC1vcmc";
    /// The specific-people view link on `/Roadmap.pptx` (Megan): kept by default.
    pub const LINK_ROADMAP_MEGAN: &str = "aTowIy5mfG1lbWJlcnNoaXB8cm9hZG1hcC1tZWdhbg";
}

/// Adds the app Adele consented to, her grant and a tenant-wide admin consent.
pub fn add(t: &mut Tenant) {
    add_shared_files(t);
    t.service_principals.extend([
        ServicePrincipal {
            id: ids::SP_MICROSOFT_GRAPH.to_owned(),
            app_id: "00000003-0000-0000-c000-000000000000".to_owned(),
            display_name: "Microsoft Graph".to_owned(),
        },
        ServicePrincipal {
            id: ids::SP_EXPENSE_BUDDY.to_owned(),
            app_id: "3c8e2b1a-5d7f-4a9c-b2e4-6f8a0c2e4b6d".to_owned(),
            display_name: "Expense Buddy".to_owned(),
        },
    ]);
    t.oauth2_permission_grants.extend([
        OAuth2PermissionGrant {
            id: ids::GRANT_ADELE_EXPENSE_BUDDY.to_owned(),
            client_id: ids::SP_EXPENSE_BUDDY.to_owned(),
            consent_type: "Principal".to_owned(),
            principal_id: Some(ADELE.to_owned()),
            resource_id: ids::SP_MICROSOFT_GRAPH.to_owned(),
            scope: "openid profile offline_access Mail.Read Files.Read.All".to_owned(),
        },
        OAuth2PermissionGrant {
            id: ids::GRANT_ALL_PRINCIPALS.to_owned(),
            client_id: ids::SP_EXPENSE_BUDDY.to_owned(),
            consent_type: "AllPrincipals".to_owned(),
            principal_id: None,
            resource_id: ids::SP_MICROSOFT_GRAPH.to_owned(),
            scope: "User.Read".to_owned(),
        },
    ]);
}

fn item(id: &str, name: &str, parent: &str, folder: bool, links: Vec<SharingLink>) -> DriveItem {
    DriveItem {
        id: id.to_owned(),
        name: name.to_owned(),
        parent_id: parent.to_owned(),
        folder,
        links,
        grants: Vec::new(),
    }
}

fn link(id: &str, scope: &str, link_type: &str, granted_to: &[&str]) -> SharingLink {
    SharingLink {
        id: id.to_owned(),
        scope: scope.to_owned(),
        link_type: link_type.to_owned(),
        granted_to: granted_to.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Adele's OneDrive: a folder anyone can open, a deck the whole organisation can edit and
/// Megan can read, and a note shared with nobody.
fn add_shared_files(t: &mut Tenant) {
    let Some(d) = t.drives.iter_mut().find(|d| d.id == DRIVE_ADELE) else {
        return;
    };
    let root = d.root_id.clone();
    d.items = vec![
        item(
            ids::ITEM_BUDGET,
            "Budget",
            &root,
            true,
            vec![link(ids::LINK_BUDGET_ANYONE, "anonymous", "view", &[])],
        ),
        item(ids::ITEM_Q3, "Q3.xlsx", ids::ITEM_BUDGET, false, Vec::new()),
        item(
            ids::ITEM_ROADMAP,
            "Roadmap.pptx",
            &root,
            false,
            vec![
                link(ids::LINK_ROADMAP_ORG, "organization", "edit", &[]),
                link(ids::LINK_ROADMAP_MEGAN, "users", "view", &[MEGAN]),
            ],
        ),
        item(ids::ITEM_NOTES, "Notes.docx", &root, false, Vec::new()),
    ];
}
