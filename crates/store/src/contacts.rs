//! Recent contacts (`recentcontact`): the conversation list and the contact book.
//! spec: recent-contacts.md.
//!
//! The list is derived when it is read from state the message paths keep anyway (each C2C
//! side's `last_time`, each group's contact head) and the owner's pins and deletions; see
//! `timber_core::contacts::list` for why. The contact book (conversation groups, marks) is
//! per-user data changed only by its commands. The types and the rules are
//! `timber_core::contacts`'.

use crate::backend::Backend;
use crate::ops::contacts::{
    BookDecision, DeleteContact, EditBook, ListContacts, ReadBook, TopContacts,
};
use crate::Result;
use std::marker::PhantomData;
use timber_core::contacts::{
    decide_create_group, decide_delete_group, decide_marks, decide_update_group, ContactBook,
    ContactGroup, ContactKey, GroupUpdate, ItemKey, ItemResult, ListPage, ListQuery, MarkChange,
};
use timber_core::message::Retention;
use timber_core::{AppId, Error};

#[async_trait::async_trait]
pub trait ContactStore {
    /// get_list (§1): one page of `owner`'s conversation list (50001 for an unknown owner).
    async fn list_contacts(
        &self,
        app: AppId,
        owner: String,
        query: ListQuery,
        retention: Retention,
    ) -> Result<ListPage>;

    /// delete (§2): the conversation leaves `owner`'s list until a newer message, its pin
    /// and unread count go; `clear_history` also clears its history for `owner` only.
    async fn delete_contact(
        &self,
        app: AppId,
        owner: String,
        key: ContactKey,
        clear_history: bool,
        now: i64,
    ) -> Result<()>;

    /// top (§3): pins (`pin`) or unpins the conversations; more than 50 pinned → 50002.
    async fn top_contacts(
        &self,
        app: AppId,
        owner: String,
        pin: bool,
        keys: Vec<ContactKey>,
        now: i64,
    ) -> Result<()>;

    /// `owner`'s whole contact book (get_contact_group, search_contact_group).
    async fn contact_book(&self, app: AppId, owner: String) -> Result<ContactBook>;

    /// create_contact_group (§5): the new group and each conversation's outcome.
    async fn create_contact_group(
        &self,
        app: AppId,
        owner: String,
        name: String,
        items: Vec<ItemKey>,
        now: i64,
    ) -> Result<(ContactGroup, Vec<ItemResult>)>;

    /// del_contact_group (§6): the deleted group.
    async fn delete_contact_group(
        &self,
        app: AppId,
        owner: String,
        name: String,
        now: i64,
    ) -> Result<ContactGroup>;

    /// update_contact_group (§7): the group after the change and each member change's outcome.
    async fn update_contact_group(
        &self,
        app: AppId,
        owner: String,
        old_name: String,
        update: GroupUpdate,
        now: i64,
    ) -> Result<(ContactGroup, Vec<ItemResult>)>;

    /// mark_contact (§8): each item's outcome, in order.
    async fn mark_contacts(
        &self,
        app: AppId,
        owner: String,
        items: Vec<Result<MarkChange, Error>>,
        now: i64,
    ) -> Result<Vec<ItemResult>>;
}

impl<T, F> EditBook<T, F> {
    fn new(app: AppId, owner: String, decide: F) -> Self {
        EditBook {
            app,
            owner,
            decide,
            _out: PhantomData,
        }
    }
}

#[async_trait::async_trait]
impl<B: Backend> ContactStore for B {
    async fn list_contacts(
        &self,
        app: AppId,
        owner: String,
        query: ListQuery,
        retention: Retention,
    ) -> Result<ListPage> {
        self.read(ListContacts {
            app,
            owner,
            query,
            retention,
        })
        .await
    }

    async fn delete_contact(
        &self,
        app: AppId,
        owner: String,
        key: ContactKey,
        clear_history: bool,
        now: i64,
    ) -> Result<()> {
        self.write(DeleteContact {
            app,
            owner,
            key,
            clear_history,
            now,
        })
        .await
    }

    async fn top_contacts(
        &self,
        app: AppId,
        owner: String,
        pin: bool,
        keys: Vec<ContactKey>,
        now: i64,
    ) -> Result<()> {
        self.write(TopContacts {
            app,
            owner,
            pin,
            keys,
            now,
        })
        .await
    }

    async fn contact_book(&self, app: AppId, owner: String) -> Result<ContactBook> {
        self.read(ReadBook { app, owner }).await
    }

    async fn create_contact_group(
        &self,
        app: AppId,
        owner: String,
        name: String,
        items: Vec<ItemKey>,
        now: i64,
    ) -> Result<(ContactGroup, Vec<ItemResult>)> {
        let decide = move |book: &ContactBook| -> BookDecision<(ContactGroup, Vec<ItemResult>)> {
            let (group, results, ch) = decide_create_group(book, &name, &items, now)?;
            Ok(((group, results), ch))
        };
        self.write(EditBook::new(app, owner, decide)).await
    }

    async fn delete_contact_group(
        &self,
        app: AppId,
        owner: String,
        name: String,
        now: i64,
    ) -> Result<ContactGroup> {
        let decide = move |book: &ContactBook| -> BookDecision<ContactGroup> {
            decide_delete_group(book, &name, now)
        };
        self.write(EditBook::new(app, owner, decide)).await
    }

    async fn update_contact_group(
        &self,
        app: AppId,
        owner: String,
        old_name: String,
        update: GroupUpdate,
        now: i64,
    ) -> Result<(ContactGroup, Vec<ItemResult>)> {
        let decide = move |book: &ContactBook| -> BookDecision<(ContactGroup, Vec<ItemResult>)> {
            let (group, results, ch) = decide_update_group(book, &old_name, &update, now)?;
            Ok(((group, results), ch))
        };
        self.write(EditBook::new(app, owner, decide)).await
    }

    async fn mark_contacts(
        &self,
        app: AppId,
        owner: String,
        items: Vec<Result<MarkChange, Error>>,
        now: i64,
    ) -> Result<Vec<ItemResult>> {
        let decide = move |book: &ContactBook| -> BookDecision<Vec<ItemResult>> {
            Ok(decide_marks(book, &items, now))
        };
        self.write(EditBook::new(app, owner, decide)).await
    }
}
