// Hand name and metadata back to Zendesk, as its own admin-UI samples do.
document.getElementById("finish").submit();
